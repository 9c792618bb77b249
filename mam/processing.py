"""Run one render job: claim it, make every missing profile from one decode, store, register.

The media work runs in a sandboxed child process (time and memory limits; a crash or a hang of
the decoder ends the job, not the worker). Idempotent: a job already done, running elsewhere or
cancelled is left alone, and a profile already made from the same source is not made again.
Renditions are registered only after their bytes are completely stored and their checks passed.
A source that cannot be decoded fails the job and the asset with the reason; any other error
puts the job back in the queue until its attempts are used up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from mam.analysis_store import store_analysis
from mam.catalog import (
    claim_job,
    fail_job,
    finish_job,
    register_rendition,
    release_job,
    rendered_profiles,
    set_job_progress,
)
from mam.ingest import rendition_key
from mam.models import Job, JobState, Rendition
from mam.services import Services
from mam.storage import StoredObject
from transcode.errors import RenderCancelled, TranscodeError
from transcode.mediainfo import MediaInfo
from transcode.pipeline import JobResult
from transcode.plan import Span, make_span
from transcode.profiles import Profile, select_profiles
from transcode.sandbox import Progress, renditions_isolated

__all__ = ["STALE_AFTER", "JobOutcome", "export_key", "process_job"]

STALE_AFTER = timedelta(minutes=15)
"""A running job whose progress has not moved for this long is taken to have lost its worker."""


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    state: str
    error: str | None = None


class _Reporter:
    """Writes progress, fps and ETA to the catalog at most twice a second, and notices cancellation."""

    def __init__(self, services: Services, job_id: str, listener: Callable[[float], None] | None) -> None:
        self.services, self.job_id, self.listener = services, job_id, listener
        self.cancelled = threading.Event()
        self.last = 0.0

    def __call__(self, progress: Progress) -> None:
        if self.listener is not None:
            self.listener(progress.fraction)
        now = time.monotonic()
        if progress.fraction < 1.0 and now - self.last < 0.5:
            return
        self.last = now
        with self.services.session() as session:
            state = set_job_progress(session, self.job_id, progress.fraction * 0.97, progress.fps, progress.eta_seconds)
        if state == JobState.CANCELLED:
            self.cancelled.set()


def _local_source(services: Services, key: str, scratch: Path) -> Path:
    local = services.storage.local_path(key)
    if local is not None:
        return local
    target = scratch / ("source" + Path(key).suffix)
    services.storage.get_file(key, target)
    return target


_CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment", ".mp4": "video/mp4"}


def _store(services: Services, key: str, path: Path, profile: Profile) -> StoredObject:
    """Store a rendition; for a folder, every file beside the master playlist, the playlist last."""
    if not profile.is_directory:
        return services.storage.put_file(key, path, profile.content_type)
    prefix, folder = key.rsplit("/", 1)[0], path.parent
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != path)
    for file in files:
        rel = file.relative_to(folder).as_posix()
        services.storage.put_file(f"{prefix}/{rel}", file, _CONTENT_TYPES.get(file.suffix))
    master = services.storage.put_file(key, path, profile.content_type)
    return StoredObject(key, master.size + sum(f.stat().st_size for f in files))


def export_key(job: Job, profile: Profile) -> str:
    """Where a sub-clip export is kept: under its job, not as one of the asset's renditions."""
    name = (
        f"{profile.name}/master.{profile.extension}" if profile.is_directory else f"{profile.name}.{profile.extension}"
    )
    return f"{job.asset.tenant_id}/assets/{job.asset_id}/exports/{job.id}/{name}"


def _store_export(services: Services, job: Job, result: JobResult, span: Span) -> dict[str, Any]:
    output = result.report.outputs[0]
    profile = services.profiles[output.profile]
    stored = _store(services, export_key(job, profile), output.path, profile)
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


def _register(services: Services, job: Job, result: JobResult) -> list[dict[str, Any]]:
    """Store each checked output, then record it (never the other way round)."""
    asset = job.asset
    checks = {c.profile: c for c in result.checks}
    made = []
    for output in result.report.outputs:
        profile = services.profiles[output.profile]
        key = rendition_key(asset.tenant_id, asset.id, profile, asset.sha256)
        stored = _store(services, key, output.path, profile)
        with services.session() as session:
            register_rendition(
                session,
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
                ),
            )
        made.append(
            {
                **checks[output.profile].summary(),
                "size": stored.size,
                "seconds": round(output.seconds, 3),
                "duration": round(output.duration, 3),
            }
        )
    return made


def process_job(services: Services, job_id: str, on_progress: Callable[[float], None] | None = None) -> JobOutcome:
    with services.session() as session:
        job = claim_job(session, job_id, STALE_AFTER)
        if job is None:
            current = session.get(Job, job_id)
            return JobOutcome(job_id, current.state if current else "missing")
        done = rendered_profiles(session, job.asset) if job.kind == "render" else set()
        wanted = [p for p in select_profiles(services.profiles, job.profiles) if p.name not in done]
        info = MediaInfo.model_validate(job.asset.mediainfo)
        attempts = job.attempts
    reporter = _Reporter(services, job_id, on_progress)
    scratch = Path(tempfile.mkdtemp(prefix=f"job-{job_id[:8]}-", dir=services.settings.work_dir))
    try:
        span = None
        if job.kind == "export":
            request = job.result.get("request", {})
            span = make_span(info, request.get("start"), request.get("end"))
        summary: dict[str, Any] = {"renditions": [], "note": "every requested profile was already made"}
        if wanted:
            source = _local_source(services, job.asset.original_key, scratch)
            result = renditions_isolated(
                source,
                info,
                [(p, p.output_path(scratch)) for p in wanted],
                timeout=(timeout := services.settings.render_timeout(span.duration if span else info.duration)),
                memory_bytes=services.settings.render_memory_bytes,
                cpu_seconds=int(timeout * (os.cpu_count() or 1)),
                on_progress=reporter,
                cancel=reporter.cancelled,
                span=span,
            )
            if span is not None:
                summary = {**result.summary(), "output": _store_export(services, job, result, span)}
            else:
                summary = {**result.summary(), "renditions": _register(services, job, result)}
                if result.analysis is not None:
                    stored = store_analysis(services, job.asset, result.analysis)
                    summary["qc"] = {"profile": stored.qc_profile, "verdict": stored.qc.get("verdict")}
            summary.pop("checks", None)
        with services.session() as session:
            current = session.get(Job, job_id)
            assert current is not None
            finish_job(session, current, summary)
        return JobOutcome(job_id, "done")
    except RenderCancelled:
        return JobOutcome(job_id, "cancelled")
    except TranscodeError as exc:
        return _fail(services, job_id, str(exc))
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if attempts >= services.settings.job_max_attempts:
            return _fail(services, job_id, f"gave up after {attempts} attempts; last error: {reason}")
        with services.session() as session:
            current = session.get(Job, job_id)
            assert current is not None
            release_job(session, current, reason)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fail(services: Services, job_id: str, reason: str) -> JobOutcome:
    with services.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        fail_job(session, job, reason)
    return JobOutcome(job_id, "failed", reason)
