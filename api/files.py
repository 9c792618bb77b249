"""Serve a stored object: the file itself (with HTTP Range) from local disk, or a 307 to a presigned URL
(an HLS playlist from an object store is passed through, so its relative URIs stay under our route)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from api.errors import ProblemFileResponse
from mam.errors import StorageNotFoundError
from mam.services import Services
from mam.storage.keys import located

__all__ = ["serve_stored", "starts_download"]


def serve_stored(services: Services, key: str, media_type: str, filename: str) -> Response:
    local = services.storage.local_path(key)
    if local is not None:
        return ProblemFileResponse(local, media_type=media_type, filename=filename, content_disposition_type="inline")
    if key.endswith(".m3u8"):
        # A playlist from an object store goes through this server: its relative URIs (variants, segments)
        # must resolve under this route, not under a presigned URL that signs the playlist alone.
        size = services.storage.size(key)
        return StreamingResponse(services.storage.iter_range(key, 0, size), media_type=media_type)
    url = services.storage.presigned_url(key, services.settings.presign_seconds, filename)
    if url is None:
        raise located(StorageNotFoundError("the file is not in the store"), key, services.storage.url)
    return RedirectResponse(url, status_code=307)


def starts_download(request: Request) -> bool:
    """Whether the request begins a download (no Range, or one from byte 0): what the audit trail records,
    rather than each of a player's later ranges."""
    asked = request.headers.get("range", "").replace(" ", "").lower()
    return not asked or asked.startswith("bytes=0-")
