"""The storage interface: where originals and renditions live (local disk or S3).

A key is a relative, ``/``-separated path such as ``default/assets/<id>/renditions/proxy.mp4``.
``put_file`` makes an object visible only after all its bytes are stored: readers never see a
partial object under its final key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["Storage", "StoredObject"]


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: float | None = None
    """When it was last written (seconds since the epoch), where the store says (listings)."""


@runtime_checkable
class Storage(Protocol):
    """What the catalog, ingest, workers and API need from a store of bytes."""

    url: str
    """Where this store points (``/abs/path`` or ``s3://bucket/prefix``), for display."""

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> StoredObject:
        """Copy ``source`` to ``key`` atomically (temp + rename, or upload then visible)."""
        ...

    def get_file(self, key: str, destination: Path) -> None:
        """Copy the object at ``key`` to the local file ``destination``."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A readable local path for ``key`` if the store is on this disk, else ``None``."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes; raises ``StorageNotFoundError`` if absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix`` (a folder: ends with ``/``); how many."""
        ...

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object under ``prefix`` (a folder: ends with ``/``; empty for the whole store), with
        its size; on local disk also the temporary files of copies that were cut short."""
        ...

    def iter_range(self, key: str, start: int, end: int, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Yield bytes ``start`` through ``end`` inclusive."""
        ...

    def presigned_url(self, key: str, expires_seconds: int, filename: str | None = None) -> str | None:
        """A time-limited URL a client can GET directly, or ``None`` if the store has none."""
        ...
