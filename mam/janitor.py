"""The janitor: remove what failures left behind and no live upload or job owns.

Three kinds of leftovers, all under the work folder (``$MAM_HOME/work``):

- **upload**: a multipart upload's bytes (``uploads/upload-*``) whose connection or server died.
  A live upload holds an exclusive ``flock`` on its file while the bytes arrive and is then
  ingested within minutes; a file nobody locks and nobody wrote to for :data:`UPLOAD_GRACE` is stale.
- **tus**: a resumable upload past its ``Upload-Expires`` (``MAM_UPLOAD_EXPIRY_HOURS`` after its
  last bytes), unless a request holds it (:meth:`mam.tus.UploadStore.sweep`).
- **store** (when the server starts, and ``mam janitor``): stored objects nothing in the catalog refers
  to, older than :data:`mam.integrity.ORPHAN_GRACE`, found by the integrity check; on S3 also the
  multipart uploads started over :data:`MULTIPART_GRACE` ago and never finished (their worker killed).
- **scratch**: a job's scratch folder (``job-<job id>``, see ``mam.layout.job_scratch_dir``) whose
  job is not running, left by a killed or failed render. Folders made in the last
  :data:`SCRATCH_GRACE` are left alone (a worker may be claiming the job at this moment). Also a
  watch folder's rewrap folder (``rewrap-*``, media joined to its separate audio) that nothing has
  written to for :data:`REWRAP_GRACE`: its ingest was stopped.

:func:`sweep` runs once (``mam janitor``); :class:`Janitor` runs it when the server starts and every
``MAM_JANITOR_INTERVAL_MINUTES``.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mam.integrity import ORPHAN_GRACE, check_integrity
from mam.models import Job, JobState
from mam.services import Services
from mam.storage import S3Storage
from mam.tus.store import UploadStore

__all__ = [
    "MULTIPART_GRACE",
    "REWRAP_GRACE",
    "SCRATCH_GRACE",
    "UPLOAD_GRACE",
    "Janitor",
    "Leftover",
    "SweepReport",
    "sweep",
]

UPLOAD_GRACE = timedelta(hours=1)
"""How long a multipart upload's file may sit unlocked and unchanged (being probed, hashed and
stored) before it counts as stale."""
SCRATCH_GRACE = timedelta(minutes=10)
REWRAP_GRACE = timedelta(hours=24)
MULTIPART_GRACE = timedelta(hours=24)
"""An S3 multipart upload unfinished this long after it started is aborted (no upload of ours lasts a day)."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Leftover:
    kind: str
    """``upload``, ``tus``, ``scratch`` or ``store``."""
    path: str
    bytes: int
    reason: str


@dataclass
class SweepReport:
    removed: list[Leftover] = field(default_factory=list)
    kept: list[Leftover] = field(default_factory=list)
    """Leftover-looking things a live upload or job still owns."""

    @property
    def freed_bytes(self) -> int:
        return sum(item.bytes for item in self.removed)

    def as_json(self) -> dict[str, Any]:
        return {
            "removed": [asdict(item) for item in self.removed],
            "kept": [asdict(item) for item in self.kept],
            "freed_bytes": self.freed_bytes,
        }


def sweep(services: Services, *, now: datetime | None = None, store: bool = False) -> SweepReport:
    """Remove, once, every leftover that no live upload or job owns; with ``store``, also the stored
    objects nothing in the catalog refers to (:mod:`mam.integrity`: an ingest or render killed between
    storing and registering; it lists the whole store, so the server does it when it starts)."""
    now = now or datetime.now(UTC)
    work = services.settings.work_dir
    report = SweepReport()
    _sweep_multipart(work / "uploads", now, report)
    uploads = UploadStore.of(services.settings)
    for upload_id, freed in uploads.sweep(now):
        report.removed.append(Leftover("tus", str(uploads.root / upload_id), freed, "past its Upload-Expires"))
    _sweep_scratch(services, work, now, report)
    _sweep_rewraps(work, now, report)
    if store:
        _sweep_store(services, now, report)
    return report


def _sweep_store(services: Services, now: datetime, report: SweepReport) -> None:
    found = check_integrity(services, grace=ORPHAN_GRACE, now=now.timestamp())
    for orphan in found.of("orphan"):
        services.storage.delete(orphan.key)
        report.removed.append(Leftover("store", orphan.key, orphan.size, "stored, but nothing in the catalog has it"))
    if isinstance(services.storage, S3Storage):
        for key, upload_id in services.storage.abort_stale_uploads((now - MULTIPART_GRACE).timestamp()):
            report.removed.append(Leftover("store", key, 0, f"multipart upload {upload_id} never finished: aborted"))


def _age(path: Path, now: datetime) -> timedelta:
    return now - datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _sweep_multipart(directory: Path, now: datetime, report: SweepReport) -> None:
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("upload-*")):
        try:
            with path.open("rb") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    report.kept.append(Leftover("upload", str(path), _size(path), "bytes still arriving"))
                    continue
                if _age(path, now) < UPLOAD_GRACE:
                    report.kept.append(Leftover("upload", str(path), _size(path), "being ingested"))
                    continue
                size = _size(path)
                path.unlink()
        except FileNotFoundError:
            continue  # ingested and removed meanwhile
        report.removed.append(Leftover("upload", str(path), size, "an upload whose connection or server died"))


def _sweep_scratch(services: Services, work: Path, now: datetime, report: SweepReport) -> None:
    folders = sorted(p for p in work.glob("job-*") if p.is_dir())  # listed before the states are read
    if not folders:
        return
    with services.session() as session:
        running = set(session.scalars(select(Job.id).where(Job.state == JobState.RUNNING)))
    prefixes = {f"job-{job_id[:8]}-" for job_id in running}  # folders named before job_scratch_dir
    for folder in folders:
        job_id = folder.name.removeprefix("job-")
        try:
            size = _size(folder)
            if job_id in running or folder.name[:13] in prefixes:
                report.kept.append(Leftover("scratch", str(folder), size, "its job is running"))
                continue
            if _age(folder, now) < SCRATCH_GRACE:
                report.kept.append(Leftover("scratch", str(folder), size, "just made"))
                continue
        except FileNotFoundError:
            continue  # the job finished and removed it meanwhile
        shutil.rmtree(folder, ignore_errors=True)
        report.removed.append(Leftover("scratch", str(folder), size, "its job is not running"))


def _sweep_rewraps(work: Path, now: datetime, report: SweepReport) -> None:
    for folder in sorted(p for p in work.glob("rewrap-*") if p.is_dir()):
        try:
            newest = max([folder, *folder.rglob("*")], key=lambda p: p.stat().st_mtime)
            if _age(newest, now) < REWRAP_GRACE:
                continue
            size = _size(folder)
        except FileNotFoundError:
            continue  # its ingest finished and removed it meanwhile
        shutil.rmtree(folder, ignore_errors=True)
        report.removed.append(Leftover("scratch", str(folder), size, "a watch folder's rewrap whose ingest stopped"))


class Janitor:
    """Sweeps in a background thread: at start, then every ``MAM_JANITOR_INTERVAL_MINUTES`` (0: at start only)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.interval = services.settings.janitor_interval_minutes * 60
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mam-janitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                report = sweep(self.services, store=first)
                first = False
            except Exception:  # a failed sweep is retried next time; the server goes on
                _log.exception("the janitor's sweep failed")
            else:
                for item in report.removed:
                    _log.info("janitor removed %s (%s, %d bytes): %s", item.path, item.kind, item.bytes, item.reason)
            if self.interval <= 0 or self._stop.wait(self.interval):
                return
