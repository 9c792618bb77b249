"""Storage on a local (or mounted) filesystem under one root directory.

Writes go to a hidden temp file next to the final path (``.<name>.<random>.part``), are fsynced and
then renamed into place with :func:`os.replace`, so a key only ever names a complete object.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mam.errors import StorageError, StorageNotFoundError
from mam.storage.base import StoredObject
from mam.storage.keys import check_key, located

__all__ = ["LocalStorage", "check_key"]

_PART_SUFFIX = ".part"


def _copy_bytes(source: Path, destination: Path) -> None:
    """Copy one file's bytes to a new file (``shutil`` uses ``sendfile`` where the OS has it)."""
    shutil.copyfile(source, destination)


def _discard(path: Path) -> None:
    """Remove a temp file, ignoring any error (the original error is the one worth reporting)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalStorage:
    """Objects as files under ``root``; the key is the relative path."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.url = str(self.root)

    def __repr__(self) -> str:
        return f"LocalStorage({self.url!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key))

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise located(StorageNotFoundError("no such file in the store"), key, self.url)
        return path

    def put_file(self, key: str, source: Path, content_type: str | None = None) -> StoredObject:
        """Copy ``source`` to ``key``; the key appears only once every byte is on disk.

        ``content_type`` is not recorded: a filesystem has nowhere to keep it.
        """
        final = self._path(key)
        source = Path(source)
        if not source.is_file():
            raise located(StorageError("cannot store a file that is not there"), key, f"{self.url} (from {source})")
        temp = final.with_name(f".{final.name}.{secrets.token_hex(8)}{_PART_SUFFIX}")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            _copy_bytes(source, temp)
            with open(temp, "rb") as written:
                os.fsync(written.fileno())
                size = os.fstat(written.fileno()).st_size
            os.replace(temp, final)
        except BaseException as exc:
            _discard(temp)
            if isinstance(exc, OSError):
                error = StorageError(f"cannot store a file: {exc.strerror or 'the disk refused it'}")
                raise located(error, key, f"{self.url} (from {source})") from exc
            raise
        _fsync_dir(final.parent)
        return StoredObject(key=key, size=size)

    def get_file(self, key: str, destination: Path) -> None:
        """Copy ``key`` to ``destination`` (written to a temp name, then renamed into place)."""
        path = self._existing(key)
        destination = Path(destination)
        temp = destination.with_name(f".{destination.name}.{secrets.token_hex(8)}{_PART_SUFFIX}")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, temp)
            os.replace(temp, destination)
        except FileNotFoundError as exc:
            _discard(temp)
            if not path.is_file():
                raise located(StorageNotFoundError("no such file in the store"), key, self.url) from exc
            error = StorageError(f"cannot copy a stored file: {exc.strerror or 'the disk refused it'}")
            raise located(error, key, f"{self.url} (to {destination})") from exc
        except OSError as exc:
            _discard(temp)
            error = StorageError(f"cannot copy a stored file: {exc.strerror or 'the disk refused it'}")
            raise located(error, key, f"{self.url} (to {destination})") from exc

    def local_path(self, key: str) -> Path | None:
        """The file holding ``key``, or ``None`` if there is no such object."""
        path = self._path(key)
        return path if path.is_file() else None

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            stat = path.stat()
        except FileNotFoundError as exc:
            raise located(StorageNotFoundError("no such file in the store"), key, self.url) from exc
        except OSError as exc:
            error = StorageError(f"cannot read a stored file's size: {exc.strerror or 'the disk refused it'}")
            raise located(error, key, self.url) from exc
        if not path.is_file():
            raise located(StorageNotFoundError("no such file in the store (a folder)"), key, self.url)
        return stat.st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except IsADirectoryError:
            return
        except OSError as exc:
            error = StorageError(f"cannot delete a stored file: {exc.strerror or 'the disk refused it'}")
            raise located(error, key, self.url) from exc

    def delete_prefix(self, prefix: str) -> int:
        """Remove the folder ``prefix`` names (with the files and folders inside it); how many files."""
        if not prefix.endswith("/"):
            raise StorageError(f"cannot delete {prefix!r} in {self.url}: a prefix names a folder and ends with '/'")
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise StorageError(f"cannot delete {prefix!r} in {self.url}: {exc.strerror or exc}") from exc
        return count

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        folder = self._path(prefix.rstrip("/")) if prefix else self.root
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                yield StoredObject(path.relative_to(self.root).as_posix(), stat.st_size, stat.st_mtime)

    def presigned_url(self, key: str, expires_seconds: int, filename: str | None = None) -> str | None:
        """Always ``None``: a directory has no URLs; the API streams the file itself."""
        self._path(key)
        return None

    def iter_range(self, key: str, start: int, end: int, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Yield bytes ``start`` through ``end`` inclusive; ``end`` past the last byte is clamped.

        The object is opened before this returns, so a missing key raises ``StorageNotFoundError``
        here and not on the first ``next()``.
        """
        if start < 0 or end < start or chunk_size < 1:
            raise located(StorageError(f"invalid byte range {start}-{end} (chunk size {chunk_size})"), key)
        path = self._path(key)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the generator
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise located(StorageNotFoundError("no such file in the store"), key, self.url) from exc
        except OSError as exc:
            error = StorageError(f"cannot open a stored file: {exc.strerror or 'the disk refused it'}")
            raise located(error, key, self.url) from exc
        size = os.fstat(handle.fileno()).st_size
        if start >= size:
            handle.close()
            raise located(StorageError(f"byte range {start}-{end} starts past the end of the file ({size} bytes)"), key)
        return _read_range(handle, start, min(end, size - 1) - start + 1, chunk_size)


def _read_range(handle: BinaryIO, start: int, length: int, chunk_size: int) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(chunk_size, length))
            if not chunk:
                raise located(StorageError("a stored file shrank while it was being read"), None, str(handle.name))
            length -= len(chunk)
            yield chunk
