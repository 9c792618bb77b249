"""Resumable uploads over the tus 1.0 protocol, without HTTP: the API's tus routes are a thin layer
over :class:`UploadStore` (create, offsets, append, terminate) and :func:`complete_upload`."""

from mam.tus.complete import complete_upload
from mam.tus.errors import (
    BadUploadRequestError,
    ChecksumMismatchError,
    MetadataTooLargeError,
    OffsetMismatchError,
    UploadError,
    UploadGoneError,
    UploadLockedError,
    UploadNotFoundError,
    UploadTooLargeError,
)
from mam.tus.headers import CHECKSUM_ALGORITHMS, encode_metadata, http_date, parse_checksum, parse_metadata
from mam.tus.store import PatchWriter, UploadInfo, UploadStore

__all__ = [
    "CHECKSUM_ALGORITHMS",
    "BadUploadRequestError",
    "ChecksumMismatchError",
    "MetadataTooLargeError",
    "OffsetMismatchError",
    "PatchWriter",
    "UploadError",
    "UploadGoneError",
    "UploadInfo",
    "UploadLockedError",
    "UploadNotFoundError",
    "UploadStore",
    "UploadTooLargeError",
    "complete_upload",
    "encode_metadata",
    "http_date",
    "parse_checksum",
    "parse_metadata",
]
