"""The tus wire formats: ``Upload-Metadata``, ``Upload-Checksum`` and ``Upload-Expires``.

``Upload-Metadata`` is held to :mod:`mam.limits`: the header's size and key count (431 beyond), and
the descriptive values it carries (title, description, tags, file name; 400 beyond).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime

from mam.limits import MAX_FILENAME_CHARS, MAX_METADATA_KEYS, MAX_UPLOAD_METADATA_BYTES, descriptive_problems
from mam.tus.errors import BadUploadRequestError, MetadataTooLargeError

__all__ = [
    "CHECKSUM_ALGORITHMS",
    "encode_metadata",
    "http_date",
    "parse_checksum",
    "parse_metadata",
    "split_list",
]

CHECKSUM_ALGORITHMS = ("sha1", "md5", "sha256", "sha512")


def split_list(text: str | None) -> list[str]:
    """A comma-separated metadata value (``tags``, ``profiles``; a full-width comma counts) → its items."""
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


def parse_metadata(header: str | None) -> dict[str, str]:
    """``key base64value,key2 base64value2`` (values optional) → ``{key: text}``, within mam.limits."""
    if header is not None and len(header) > MAX_UPLOAD_METADATA_BYTES:
        raise MetadataTooLargeError(
            f"Upload-Metadata is {len(header)} bytes; at most {MAX_UPLOAD_METADATA_BYTES} are allowed"
        )
    result: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        if not key or key in result:
            raise BadUploadRequestError(f"Upload-Metadata has an empty or repeated key in {pair[:40]!r}")
        if len(result) == MAX_METADATA_KEYS:
            raise MetadataTooLargeError(f"Upload-Metadata has more than {MAX_METADATA_KEYS} keys")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise BadUploadRequestError(f"Upload-Metadata value of {key[:40]!r} is not base64 UTF-8") from exc
    _check_values(result)
    return result


def _check_values(metadata: Mapping[str, str]) -> None:
    problems = descriptive_problems(
        title=metadata.get("title"), description=metadata.get("description"), tags=split_list(metadata.get("tags"))
    )
    name = metadata.get("filename") or metadata.get("name") or ""
    if len(name) > MAX_FILENAME_CHARS:
        problems.append(f"the file name has {len(name)} characters; at most {MAX_FILENAME_CHARS} are allowed")
    if problems:
        raise BadUploadRequestError("Upload-Metadata: " + "; ".join(problems))


def encode_metadata(metadata: Mapping[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode('ascii')}" for k, v in metadata.items())


def http_date(moment: datetime) -> str:
    """``Upload-Expires`` form (RFC 9110 HTTP-date): ``Wed, 25 Jun 2025 16:00:00 GMT``."""
    return format_datetime(moment, usegmt=True)


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """``sha1 <base64 digest>`` → (algorithm, digest); None when the header is absent."""
    if header is None:
        return None
    algorithm, _, digest = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise BadUploadRequestError(
            f"Upload-Checksum algorithm {algorithm!r} is not supported; use one of {CHECKSUM_ALGORITHMS}"
        )
    try:
        raw = base64.b64decode(digest.strip(), validate=True)
    except binascii.Error as exc:
        raise BadUploadRequestError("Upload-Checksum digest is not base64") from exc
    if len(raw) != hashlib.new(algorithm).digest_size:
        raise BadUploadRequestError(f"Upload-Checksum digest has the wrong length for {algorithm}")
    return algorithm, raw
