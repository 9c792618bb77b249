"""Errors of resumable uploads (tus); the API gives each its tus status.

::

    MamError
    └── UploadError
        ├── UploadNotFoundError     no such upload for this tenant (404; also a NotFoundError)
        │   └── UploadGoneError     the upload expired, or could not be made an asset (410)
        ├── OffsetMismatchError     Upload-Offset is not where the upload stands (409; a ConflictError)
        ├── UploadLockedError       another request is writing to this upload (423)
        ├── UploadTooLargeError     Upload-Length exceeds MAM_MAX_UPLOAD_MB (413), refused before data
        ├── ChecksumMismatchError   Upload-Checksum does not match the bytes received (460)
        ├── BadUploadRequestError   a missing or malformed tus header, or bytes beyond Upload-Length (400)
        └── MetadataTooLargeError   Upload-Metadata is larger than mam.limits allows (431)
"""

from __future__ import annotations

from mam.errors import ConflictError, MamError, NotFoundError

__all__ = [
    "BadUploadRequestError",
    "ChecksumMismatchError",
    "MetadataTooLargeError",
    "OffsetMismatchError",
    "UploadError",
    "UploadGoneError",
    "UploadLockedError",
    "UploadNotFoundError",
    "UploadTooLargeError",
]


class UploadError(MamError):
    """A resumable upload request cannot be carried out; the message says why."""


class UploadNotFoundError(UploadError, NotFoundError):
    """No upload with this id exists for this tenant (never made, terminated, or expired)."""


class UploadGoneError(UploadNotFoundError):
    """The upload is past its ``Upload-Expires``, or its bytes could not be made an asset and were
    removed; the message says which. The client starts a new upload."""


class OffsetMismatchError(UploadError, ConflictError):
    """The client's Upload-Offset differs from the bytes the server holds; ask HEAD and resume."""


class UploadLockedError(UploadError):
    """Another request is appending to the same upload right now."""


class UploadTooLargeError(UploadError):
    """The announced Upload-Length is larger than the configured limit."""


class ChecksumMismatchError(UploadError):
    """The chunk's bytes do not match its Upload-Checksum; the chunk was discarded."""


class BadUploadRequestError(UploadError):
    """A tus header is missing or malformed, or the body runs past Upload-Length."""


class MetadataTooLargeError(UploadError):
    """The ``Upload-Metadata`` header is longer, or has more keys, than :mod:`mam.limits` allows."""
