"""Uploads in progress on disk, like tusd: one folder per upload under the work directory.

``<root>/<id>/info.json`` holds the tenant, announced length, metadata and, once complete, the
asset; ``<root>/<id>/data<.ext>`` holds the bytes received so far. The offset *is* the data
file's size, so a restart loses nothing the disk kept. One request at a time may append to an
upload (an exclusive ``flock``); a second gets :class:`UploadLockedError` and can retry.

Uploads expire (the tus ``expiration`` extension): ``expiry`` after the last byte written (or after
the upload became an asset, or failed), an upload answers 410 and :meth:`UploadStore.sweep` removes
it, unless a request holds its locks at that moment.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from mam.settings import Settings
from mam.tus.errors import (
    BadUploadRequestError,
    ChecksumMismatchError,
    OffsetMismatchError,
    UploadGoneError,
    UploadLockedError,
    UploadNotFoundError,
    UploadTooLargeError,
)

__all__ = ["PatchWriter", "UploadInfo", "UploadStore"]

_ID = re.compile(r"^[0-9a-f]{32}$")
_EXT = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_SHA256 = re.compile(r"^[0-9A-Fa-f]{64}$")


@dataclass
class UploadInfo:
    id: str
    tenant_id: str
    length: int
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    asset_id: str | None = None
    duplicate: bool = False
    failed: str | None = None
    """Why the upload could not be made an asset; its bytes are gone and it answers 410."""
    completion_failures: int = 0
    offset: int = 0
    """Bytes held so far (the data file's size; not stored in info.json)."""
    expires_at: datetime | None = None
    """When the upload expires (from the files' modification times; not stored in info.json)."""

    @property
    def complete(self) -> bool:
        return self.offset == self.length

    @property
    def filename(self) -> str:
        return self.metadata.get("filename") or self.metadata.get("name") or f"upload-{self.id[:8]}"


_UNSTORED = ("offset", "expires_at")


class UploadStore:
    def __init__(self, root: Path, max_bytes: int, expiry: timedelta = timedelta(hours=24)) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.expiry = expiry

    @classmethod
    def of(cls, settings: Settings) -> UploadStore:
        """The uploads under the work folder, with ``MAM_MAX_UPLOAD_MB`` and ``MAM_UPLOAD_EXPIRY_HOURS``."""
        return cls(settings.work_dir / "tus", settings.max_upload_bytes, timedelta(hours=settings.upload_expiry_hours))

    def _dir(self, upload_id: str) -> Path:
        if not _ID.match(upload_id):
            raise UploadNotFoundError(f"no upload {upload_id!r}")
        return self.root / upload_id

    def data_path(self, info: UploadInfo) -> Path:
        suffix = Path(info.filename).suffix
        return self._dir(info.id) / ("data" + (suffix.lower() if _EXT.match(suffix) else ""))

    def create(self, tenant_id: str, length: int, metadata: dict[str, str]) -> UploadInfo:
        """Register a new, empty upload; refuses lengths over the limit before any data."""
        if length < 0:
            raise BadUploadRequestError("Upload-Length must be a whole number of bytes")
        if length > self.max_bytes:
            raise UploadTooLargeError(
                f"the upload is {length} bytes; the limit is {self.max_bytes} (MAM_MAX_UPLOAD_MB)",
                code="upload-too-large",
                params={"limit_mb": round(self.max_bytes / 1024 / 1024)},
            )
        if "sha256" in metadata and not _SHA256.match(metadata["sha256"].strip()):
            raise BadUploadRequestError("the sha256 in Upload-Metadata must be 64 hexadecimal digits")
        info = UploadInfo(
            secrets.token_hex(16), tenant_id, length, metadata, datetime.now(UTC).isoformat(timespec="seconds")
        )
        directory = self._dir(info.id)
        directory.mkdir(parents=True)
        self.data_path(info).touch()
        self.save(info)
        info.expires_at = datetime.now(UTC) + self.expiry
        return info

    def get(self, tenant_id: str, upload_id: str) -> UploadInfo:
        directory = self._dir(upload_id)
        try:
            data = json.loads((directory / "info.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError) as exc:
            raise UploadNotFoundError(f"no upload {upload_id}") from exc
        for name in _UNSTORED:
            data.pop(name, None)
        info = UploadInfo(**data)
        if info.tenant_id != tenant_id:
            raise UploadNotFoundError(f"no upload {upload_id}")
        data_file = self.data_path(info)
        info.offset = data_file.stat().st_size if data_file.exists() else info.length
        info.expires_at = self._expires_at(directory, data_file)
        if info.failed is not None:
            raise UploadGoneError(
                f"upload {upload_id} could not be made an asset ({info.failed}); upload the file again"
            )
        if info.expires_at <= datetime.now(UTC):
            raise UploadGoneError(
                f"upload {upload_id} expired at {info.expires_at:%Y-%m-%d %H:%M:%S} UTC", code="upload-expired"
            )
        return info

    def _expires_at(self, directory: Path, data_file: Path) -> datetime:
        """``expiry`` after the last write to the upload's data (or to info.json once the data is gone)."""
        latest = 0.0
        for path in (data_file, directory / "info.json", directory):
            with contextlib.suppress(OSError):
                latest = max(latest, path.stat().st_mtime)
                if path is data_file:
                    break
        return datetime.fromtimestamp(latest, UTC) + self.expiry

    def save(self, info: UploadInfo) -> None:
        directory = self._dir(info.id)
        body = asdict(info)
        for name in _UNSTORED:
            body.pop(name)
        tmp = directory / "info.json.tmp"
        tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, directory / "info.json")

    def terminate(self, info: UploadInfo) -> None:
        """Forget the upload and its bytes (the termination extension); an asset made from it stays."""
        if self.data_path(info).exists():
            with self.patch(info, info.offset, None, 0):  # not while another request appends
                shutil.rmtree(self._dir(info.id), ignore_errors=True)
        else:
            shutil.rmtree(self._dir(info.id), ignore_errors=True)

    def discard_data(self, info: UploadInfo) -> None:
        """Drop the bytes once they are stored as an asset's original (info.json stays)."""
        self.data_path(info).unlink(missing_ok=True)

    def fail_completion(self, info: UploadInfo, reason: str, *, give_up: bool) -> None:
        """Record a failed attempt to make the upload an asset; on giving up, drop its bytes: from
        then on it answers 410 with ``reason`` until it expires."""
        info.completion_failures += 1
        if give_up:
            info.failed = reason
            self.discard_data(info)
        self.save(info)

    def sweep(self, now: datetime | None = None) -> list[tuple[str, int]]:
        """Remove every upload past its expiry that no request holds: (id, bytes freed) of each."""
        now = now or datetime.now(UTC)
        removed: list[tuple[str, int]] = []
        if not self.root.is_dir():
            return removed
        for directory in sorted(self.root.iterdir()):
            if not directory.is_dir() or not _ID.match(directory.name):
                continue
            data_file = next(iter(directory.glob("data*")), directory / "data")
            if self._expires_at(directory, data_file) > now:
                continue
            freed = _remove_unless_held(directory)
            if freed is not None:
                removed.append((directory.name, freed))
        return removed

    @contextlib.contextmanager
    def completing(self, info: UploadInfo) -> Iterator[None]:
        """Hold while turning the upload into an asset, so that it happens once (blocks)."""
        directory = self._dir(info.id)
        try:
            handle = (directory / "complete.lock").open("a+b")
        except FileNotFoundError as exc:
            raise UploadNotFoundError(f"no upload {info.id}") from exc
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def patch(
        self, info: UploadInfo, offset: int, checksum: tuple[str, bytes] | None, content_length: int | None
    ) -> PatchWriter:
        """Start appending at ``offset`` (which must be where the upload stands)."""
        if offset != info.offset:
            raise OffsetMismatchError(f"Upload-Offset is {offset}, but the upload holds {info.offset} bytes")
        if content_length is not None and offset + content_length > info.length:
            raise BadUploadRequestError(
                f"{content_length} bytes at offset {offset} run past Upload-Length {info.length}"
            )
        return PatchWriter(self.data_path(info), info, checksum, self.expiry)


class PatchWriter:
    """Appends one request's bytes. Without a checksum, bytes received before a dropped connection
    are kept (the client resumes after them); with one, the chunk counts only if it verifies."""

    def __init__(
        self, path: Path, info: UploadInfo, checksum: tuple[str, bytes] | None, expiry: timedelta = timedelta(hours=24)
    ) -> None:
        self.info = info
        self.expiry = expiry
        self.start = info.offset
        self.written = 0
        self.checksum = checksum
        self._hash = hashlib.new(checksum[0]) if checksum else None
        self._file: BinaryIO = path.open("r+b")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._file.close()
            raise UploadLockedError(f"upload {info.id} is being written by another request") from exc
        size = os.fstat(self._file.fileno()).st_size
        if size != self.start:  # another request appended between our read of the offset and the lock
            self._file.close()
            raise OffsetMismatchError(f"the upload now holds {size} bytes, not {self.start}")
        self._file.seek(self.start)
        self._committed = False

    def write(self, chunk: bytes) -> None:
        if self.start + self.written + len(chunk) > self.info.length:
            raise BadUploadRequestError(f"the body runs past Upload-Length {self.info.length}")
        self._file.write(chunk)
        self._file.flush()  # what arrived is on disk: a server killed now resumes from it, not from less
        self.written += len(chunk)
        if self._hash is not None:
            self._hash.update(chunk)

    def commit(self) -> int:
        """Verify the checksum (if any) and make the bytes count; returns the new offset."""
        if self.checksum is not None and self._hash is not None and self._hash.digest() != self.checksum[1]:
            raise ChecksumMismatchError(
                f"the {self.written} bytes received do not match their {self.checksum[0]} checksum"
            )
        self._file.flush()
        self._committed = True
        self.info.offset = self.start + self.written
        self.info.expires_at = datetime.now(UTC) + self.expiry  # from the last bytes written
        return self.info.offset

    def __enter__(self) -> PatchWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if not self._committed:
                if self.checksum is not None or isinstance(exc, BadUploadRequestError):
                    self._file.truncate(self.start)  # unverified or invalid: as if never sent
                    self.info.offset = self.start
                else:
                    self._file.flush()  # a dropped connection: keep what arrived
                    self.info.offset = self.start + self.written
        finally:
            with contextlib.suppress(OSError):
                self._file.close()  # closing releases the flock


def _remove_unless_held(directory: Path) -> int | None:
    """Remove an upload's folder unless a request holds its append or completion lock (then None);
    the bytes freed."""
    with contextlib.ExitStack() as stack:
        for path in [*directory.glob("data*"), directory / "complete.lock"]:
            try:
                handle = stack.enter_context(path.open("rb"))
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
        freed = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
        shutil.rmtree(directory, ignore_errors=True)
        return freed
