"""Checksums of a file in one read: SHA-256 (identity, dedupe) and xxh3-64 (fast integrity check)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import xxhash

__all__ = ["Checksums", "checksum_file"]

_CHUNK = 4 << 20


@dataclass(frozen=True)
class Checksums:
    sha256: str
    xxh3: str
    size: int


def checksum_file(path: Path) -> Checksums:
    sha, fast, size = hashlib.sha256(), xxhash.xxh3_64(), 0
    with path.open("rb", buffering=0) as handle:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        while read := handle.readinto(buffer):
            chunk = view[:read]
            sha.update(chunk)
            fast.update(chunk)
            size += read
    return Checksums(sha.hexdigest(), fast.hexdigest(), size)
