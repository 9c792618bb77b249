"""Receive a multipart upload into a scratch file, enforcing the size limit while copying.

The body as a whole is already held to the limit by :class:`api.limits.BodyLimit` while it arrives;
this checks the file itself. The scratch file (``work/uploads/upload-*``) is ``flock``-ed while its
bytes are copied, so that the janitor (:mod:`mam.janitor`) can tell a live upload from one whose
connection or server died.
"""

from __future__ import annotations

import fcntl
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
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # ours alone: the janitor leaves a locked file be
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
