"""Receive a multipart upload into a scratch file, enforcing the size limit while copying."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import HTTPException, UploadFile

__all__ = ["receive_upload"]

_CHUNK = 1 << 20


async def receive_upload(upload: UploadFile, directory: Path, max_bytes: int) -> Path:
    """Copy ``upload`` to a new file in ``directory``; 413 (and nothing kept) if it is too large."""
    directory.mkdir(parents=True, exist_ok=True)
    if upload.size is not None and upload.size > max_bytes:
        raise HTTPException(413, f"the file is {upload.size} bytes; the limit is {max_bytes} (MAM_MAX_UPLOAD_MB)")
    fd, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=Path(upload.filename or "").suffix)
    path = Path(name)
    written = 0
    try:
        with open(fd, "wb") as handle:
            while chunk := await upload.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise HTTPException(413, f"the file exceeds the limit of {max_bytes} bytes (MAM_MAX_UPLOAD_MB)")
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if written == 0:
        path.unlink(missing_ok=True)
        raise HTTPException(422, "the uploaded file is empty")
    return path
