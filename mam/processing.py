"""Render and register: make every missing profile of a claimed job from one decode, store, register.

Claiming, the lease, retries and failure are the job policy's (:mod:`mam.jobs.policy`), applied
around :func:`render_job` by a worker's middleware (``workers/middleware.py``), or by
:func:`process_job` for callers without a broker.

The media work runs in a sandboxed child process (time and memory limits; a crash or a hang of
the decoder ends the job, not the worker). Idempotent: a job already done, running elsewhere or
cancelled is left alone, and a profile already made from the same source is not made again.
Renditions are registered only after their bytes are completely stored and their checks passed,
in the same transaction that marks the job done, and only if it is still running: a job cancelled
at any moment (the cancel is seen within a second, progress or not) registers nothing and its
stored files are deleted.
A job's scratch folder is cleared when an attempt starts (what a killed attempt left) and ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from mam.analysis_store import store_analysis
from mam.catalog import rendered_profiles
from mam.jobs import complete_job, profiles_for_job, set_job_progress
from mam.jobs.attempts import Attempt
from mam.layout import content_type, export_key, job_scratch_dir, rendition_key
from mam.models import Asset, Job, JobState, Rendition
from mam.services import Services
from mam.storage import StoredObject
from transcode.errors import RenderCancelled
from transcode.limits import render_limits
from transcode.mediainfo import MediaInfo
from transcode.pipeline import JobResult
from transcode.plan import Span, make_span
from transcode.profiles import Profile
from transcode.sandbox import Progress, renditions_isolated

__all__ = ["JobOutcome", "process_job", "render_job"]


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    state: str
    error: str | None = None


_CANCEL_POLL_SECONDS = 1.0

log = logging.getLogger(__name__)


class _Reporter:
    """Writes progress, fps and ETA to the catalog at most twice a second, and notices cancellation
    (or that another worker took the job up after this one's lease ran out)."""

    def __init__(self, services: Services, job_id: str, attempt: int, listener: Callable[[float], None] | None) -> None:
        self.services, self.job_id, self.attempt, self.listener = services, job_id, attempt, listener
        self.cancelled = threading.Event()
        self.taken_over = False
        self.last = 0.0
        self.polled = time.monotonic()

    def is_cancelled(self) -> bool:
        """Asked by the sandbox every 0.2 s: reads the job's state at most once a second, so that a
        cancel is seen while no progress flows too (the loudness pass, the output checks)."""
        now = time.monotonic()
        if not self.cancelled.is_set() and now - self.polled >= _CANCEL_POLL_SECONDS:
            self.polled = now
            with _catalog_blip(self.job_id, "reading the state"):
                self.check()
        return self.cancelled.is_set()

    def check(self) -> bool:
        """Read the job's state now; True if it was cancelled (or this process is giving it back)."""
        if self.services.handing_back.is_set():
            self.taken_over = True  # given back as it stands: the next attempt makes the same keys
            self.cancelled.set()
            return True
        with self.services.session() as session:
            job = session.get(Job, self.job_id, populate_existing=True)
            if job is None or job.state == JobState.CANCELLED:
                self.cancelled.set()
            elif job.attempts != self.attempt:
                self.taken_over = True
                self.cancelled.set()
        return self.cancelled.is_set()

    def __call__(self, progress: Progress) -> None:
        if self.listener is not None:
            self.listener(progress.fraction)
        now = time.monotonic()
        if progress.fraction < 1.0 and now - self.last < 0.5:
            return
        self.last = now
        state = None
        with _catalog_blip(self.job_id, "writing the progress"), self.services.session() as session:
            state = set_job_progress(session, self.job_id, progress.fraction * 0.97, progress.fps, progress.eta_seconds)
        if state == JobState.CANCELLED:
            self.cancelled.set()

    def storing(self, fraction: float) -> None:
        """While the analysis is stored: from 97% on, never 100% (only the finished job records that)."""
        now = time.monotonic()
        if fraction < 1.0 and now - self.last < 0.5:
            return
        self.last = now
        state = None
        with _catalog_blip(self.job_id, "writing the progress"), self.services.session() as session:
            state = set_job_progress(session, self.job_id, 0.97 + 0.029 * min(1.0, fraction))
        if state == JobState.CANCELLED:
            self.cancelled.set()


@contextlib.contextmanager
def _catalog_blip(job_id: str, doing: str) -> Iterator[None]:
    """A progress write or a state read that the catalog drops (a connection cut, a failover) is
    skipped, not a reason to throw away the render: the next one comes within a second, the lease is
    renewed apart, and registering the outputs at the end is the write that must succeed."""
    try:
        yield
    except DBAPIError:
        log.warning("job %s: %s in the catalog failed; the render goes on", job_id, doing, exc_info=True)


def _local_source(services: Services, key: str, scratch: Path) -> Path:
    local = services.storage.local_path(key)
    if local is not None:
        return local
    target = scratch / ("source" + Path(key).suffix)
    services.storage.get_file(key, target)
    return target


def _store(services: Services, key: str, path: Path, profile: Profile, written: list[str]) -> StoredObject:
    """Store a rendition; for a folder, every file beside the master playlist, the playlist last.

    Every key written is appended to ``written`` (to delete them if the job is cancelled)."""
    if not profile.is_directory:
        written.append(key)
        return services.storage.put_file(key, path, profile.content_type)
    prefix, folder = key.rsplit("/", 1)[0], path.parent
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != path)
    for file in files:
        rel = file.relative_to(folder).as_posix()
        written.append(f"{prefix}/{rel}")
        services.storage.put_file(f"{prefix}/{rel}", file, content_type(file.name))
    written.append(key)
    master = services.storage.put_file(key, path, profile.content_type)
    return StoredObject(key, master.size + sum(f.stat().st_size for f in files))


@dataclass
class _Stored:
    """What a job has put in storage, by profile, until the catalog records it."""

    keys: dict[str, list[str]] = field(default_factory=dict)

    def of(self, profile: str) -> list[str]:
        return self.keys.setdefault(profile, [])

    def discard(self, services: Services, job: Job) -> None:
        """A cancelled job registers nothing: delete what it stored, except a rendition of the same
        source that another job has registered meanwhile (same key, same bytes)."""
        keep: set[str] = set()
        if job.kind == "render":
            with services.session() as session:
                asset = session.get(Asset, job.asset_id)
                keep = rendered_profiles(session, asset) if asset is not None else set()
        for profile, keys in self.keys.items():
            if profile not in keep:
                for key in keys:
                    services.storage.delete(key)


def _store_export(services: Services, job: Job, result: JobResult, span: Span, stored_keys: _Stored) -> dict[str, Any]:
    output = result.report.outputs[0]
    profile = services.profiles[output.profile]
    stored = _store(
        services,
        export_key(job.asset.tenant_id, job.asset_id, job.id, profile),
        output.path,
        profile,
        stored_keys.of("export"),
    )
    checked = next((c.summary() for c in result.checks if c.profile == profile.name), {})
    return {
        **checked,  # what the output check measured: its loudness after normalisation, its picture
        "profile": profile.name,
        "key": stored.key,
        "size": stored.size,
        "content_type": profile.content_type,
        "start": round(span.start, 6),
        "end": round(span.end, 6),
        "duration": round(output.duration, 3),
    }


def _store_renditions(
    services: Services, job: Job, result: JobResult, stored_keys: _Stored
) -> tuple[list[dict[str, Any]], list[Rendition]]:
    """Store each checked output; the rows to record once every byte is stored (never before)."""
    asset = job.asset
    checks = {c.profile: c for c in result.checks}
    made, rows = [], []
    for output in result.report.outputs:
        profile = services.profiles[output.profile]
        key = rendition_key(asset.tenant_id, asset.id, profile, asset.sha256)
        stored = _store(services, key, output.path, profile, stored_keys.of(profile.name))
        rows.append(
            Rendition(
                asset_id=asset.id,
                profile=output.profile,
                source_sha256=asset.sha256,
                storage_key=key,
                content_type=profile.content_type,
                size=stored.size,
                duration=output.duration,
                width=output.width,
                height=output.height,
                seconds=round(output.seconds, 3),
                job_id=job.id,
            )
        )
        made.append(
            {
                **checks[output.profile].summary(),
                "size": stored.size,
                "seconds": round(output.seconds, 3),
                "duration": round(output.duration, 3),
            }
        )
    return made, rows


def process_job(services: Services, job_id: str, on_progress: Callable[[float], None] | None = None) -> JobOutcome:
    """Run one attempt at the job in this process, under the catalog's policy: what a worker's
    middleware does around :func:`render_job` (claim once, keep the lease, retry or fail), for
    callers without a broker. A job not ours to claim (done, running elsewhere) is left alone."""
    attempt = Attempt(services, job_id)
    if not attempt.begin():
        return JobOutcome(job_id, attempt.state)
    try:
        outcome = render_job(services, job_id, on_progress)
    except Exception as exc:
        if attempt.end(exc) is not None:
            raise  # back in the queue for another attempt after the backoff
        return JobOutcome(job_id, "failed", attempt.reason)
    attempt.end()
    return outcome


def render_job(services: Services, job_id: str, on_progress: Callable[[float], None] | None = None) -> JobOutcome:
    """Render and register: make every missing profile of the claimed (running) job from one decode,
    store the outputs, and register them as the job ends. Raises what went wrong (the caller's
    :class:`~mam.jobs.attempts.Attempt` decides between retry and failure); a cancelled job (or one
    taken up by another worker meanwhile) registers nothing."""
    with services.session() as session:
        job = session.get(Job, job_id, populate_existing=True)
        if job is None or job.state != JobState.RUNNING:
            return JobOutcome(job_id, job.state if job is not None else "missing")
        wanted = profiles_for_job(session, services.profiles, job)
        info = MediaInfo.model_validate(job.asset.mediainfo)
    reporter = _Reporter(services, job_id, job.attempts, on_progress)
    scratch = job_scratch_dir(services.settings.work_dir, job_id)
    shutil.rmtree(scratch, ignore_errors=True)  # what an earlier, killed attempt left
    scratch.mkdir(parents=True)
    stored_keys = _Stored()
    try:
        span = None
        if job.kind == "export":
            request = job.result.get("request", {})
            span = make_span(info, request.get("start"), request.get("end"))
        summary: dict[str, Any] = {"renditions": [], "note": "every requested profile was already made"}
        rows: list[Rendition] = []
        if wanted:
            source = _local_source(services, job.asset.original_key, scratch)
            result = renditions_isolated(
                source,
                info,
                [(p, p.output_path(scratch)) for p in wanted],
                timeout=(
                    # from the duration the streams showed and the picture's size, within the ceilings
                    limits := render_limits(
                        info,
                        len(wanted),
                        span.duration if span else None,
                        services.settings.render_ceilings,
                        os.cpu_count() or 1,
                    )
                ).timeout,
                memory_bytes=limits.memory_bytes,
                cpu_seconds=limits.cpu_seconds,
                on_progress=reporter,
                cancel=reporter.is_cancelled,
                span=span,
                ocr=_reads_text(services, job.asset.tenant_id),
                threads=services.settings.threads_per_job,
            )
            _stop_if_cancelled(reporter)
            if span is not None:
                summary = {**result.summary(), "output": _store_export(services, job, result, span, stored_keys)}
            else:
                made, rows = _store_renditions(services, job, result, stored_keys)
                summary = {**result.summary(), "renditions": made}
                if result.analysis is not None:
                    _stop_if_cancelled(reporter)
                    stored = store_analysis(services, job.asset, result.analysis, progress=reporter.storing)
                    summary["qc"] = {"profile": stored.qc_profile, "verdict": stored.qc.get("verdict")}
            summary.pop("checks", None)
        with services.session() as session:
            if not complete_job(session, job_id, summary, rows):  # cancelled at the last moment
                raise RenderCancelled(f"job {job_id} was cancelled")
        return JobOutcome(job_id, "done")
    except RenderCancelled:
        if reporter.taken_over:  # the other attempt writes the same keys: leave them to it
            return JobOutcome(job_id, JobState.RUNNING, "taken up by another worker")
        stored_keys.discard(services, job)
        return JobOutcome(job_id, "cancelled")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _reads_text(services: Services, tenant_id: str) -> bool | None:
    """True when the tenant reads on-screen text in every render job (MAM_OCR_TENANTS); None: as the profiles say."""
    tenants = services.settings.ocr_tenants
    return True if "*" in tenants or tenant_id in tenants else None


def _stop_if_cancelled(reporter: _Reporter) -> None:
    if reporter.check():
        raise RenderCancelled(f"job {reporter.job_id} was cancelled")
