"""Serve a stored object: the file itself (with HTTP Range) from local disk, or a 307 to a presigned URL."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.errors import ProblemFileResponse
from mam.errors import StorageNotFoundError
from mam.services import Services
from mam.storage.keys import located

__all__ = ["serve_stored", "starts_download"]


def serve_stored(services: Services, key: str, media_type: str, filename: str) -> Response:
    local = services.storage.local_path(key)
    if local is not None:
        return ProblemFileResponse(local, media_type=media_type, filename=filename, content_disposition_type="inline")
    url = services.storage.presigned_url(key, services.settings.presign_seconds, filename)
    if url is None:
        raise located(StorageNotFoundError("the file is not in the store"), key, services.storage.url)
    return RedirectResponse(url, status_code=307)


def starts_download(request: Request) -> bool:
    """Whether the request begins a download (no Range, or one from byte 0): what the audit trail records,
    rather than each of a player's later ranges."""
    asked = request.headers.get("range", "").replace(" ", "").lower()
    return not asked or asked.startswith("bytes=0-")
