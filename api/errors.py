"""The one place where package errors become HTTP statuses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mam.errors import (
    ConfigError,
    ConflictError,
    ForbiddenError,
    IngestError,
    MamError,
    MetadataError,
    NotFoundError,
    SearchError,
    ShareError,
    StorageError,
)
from transcode.errors import ProfileError, TranscodeError

__all__ = ["install_error_handlers"]

_STATUS: list[tuple[type[Exception], int]] = [
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (ShareError, 422),
    (ConflictError, 409),
    (IngestError, 422),
    (MetadataError, 422),
    (SearchError, 422),
    (ProfileError, 422),
    (TranscodeError, 422),
    (StorageError, 503),
    (ConfigError, 500),
    (MamError, 500),
]


def status_for(exc: Exception) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def install_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    app.add_exception_handler(MamError, handle)
    app.add_exception_handler(TranscodeError, handle)
