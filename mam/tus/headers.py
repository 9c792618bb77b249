"""The tus wire formats: ``Upload-Metadata`` and ``Upload-Checksum``."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping

from mam.tus.errors import BadUploadRequestError

__all__ = ["CHECKSUM_ALGORITHMS", "encode_metadata", "parse_checksum", "parse_metadata"]

CHECKSUM_ALGORITHMS = ("sha1", "md5", "sha256", "sha512")


def parse_metadata(header: str | None) -> dict[str, str]:
    """``key base64value,key2 base64value2`` (values optional) → ``{key: text}``."""
    result: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        if not key or key in result:
            raise BadUploadRequestError(f"Upload-Metadata has an empty or repeated key in {pair!r}")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise BadUploadRequestError(f"Upload-Metadata value of {key!r} is not base64 UTF-8") from exc
    return result


def encode_metadata(metadata: Mapping[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode('ascii')}" for k, v in metadata.items())


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
