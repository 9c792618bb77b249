"""What an operator sees of every attempt at a job: one structured log line when it is taken up and
one when it ends (done, cancelled, failed, or back in the queue for a retry), and the matching
metrics of :mod:`mam.metrics`. Called by :class:`~mam.jobs.attempts.Attempt`, so workers, ``mam
serve``'s in-process runner and ``mam ingest --wait`` all report the same way.

A log line carries ids, never titles or file names: ``job``, ``asset``, ``tenant``, ``kind``,
``profiles``, ``lane``, ``attempt``, ``worker``, and at the end ``outcome``, ``duration_s``, ``fps``,
``frames``, and for a failure its ``reason`` (the text a person reads) and ``reason_class`` (the
bounded label of ``mam_job_failures_total``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from mam.logs import fields
from mam.metrics import METRICS, failure_reason, lane_of
from mam.models import Job, JobState
from mam.services import Services

__all__ = ["JobStart", "job_ended", "job_lost", "job_started"]

log = logging.getLogger("mam.jobs")


@dataclass(frozen=True)
class JobStart:
    """What is known of an attempt when it is taken up."""

    job_id: str
    asset_id: str
    tenant_id: str
    kind: str
    profiles: tuple[str, ...]
    lane: str
    attempt: int
    worker: str | None
    clock: float
    """``time.monotonic()`` when it was taken up."""

    def ids(self) -> dict[str, Any]:
        return {
            "job": self.job_id,
            "asset": self.asset_id,
            "tenant": self.tenant_id,
            "kind": self.kind,
            "profiles": list(self.profiles),
            "lane": self.lane,
            "attempt": self.attempt,
            "worker": self.worker,
        }


def job_started(job: Job) -> JobStart | None:
    """Count and log the attempt at ``job`` just claimed (its row as the claim left it); ``None`` if
    that failed (reporting is never a reason for a job to fail)."""
    try:
        return _started(job)
    except Exception:
        log.warning("reporting the start of job %s failed", job.id, exc_info=True)
        return None


def _started(job: Job) -> JobStart:
    start = JobStart(
        job.id,
        job.asset_id,
        job.asset.tenant_id,
        job.kind,
        tuple(job.profiles or ()),
        lane_of(job),
        job.attempts,
        job.worker,
        time.monotonic(),
    )
    METRICS.jobs_started.labels(start.kind, start.lane).inc()
    waited = None
    if job.attempts == 1 and job.started_at is not None and job.created_at is not None:
        waited = max(0.0, (job.started_at - job.created_at).total_seconds())
        METRICS.queue_wait.labels(start.lane).observe(waited)
    log.info("job started", extra=fields(event="job.start", **start.ids(), wait_s=_round(waited)))
    return start


def job_ended(
    services: Services, start: JobStart, error: BaseException | None, reason: str | None, retry: timedelta | None
) -> None:
    """Count and log the end of the attempt: after ``error`` a failure (``retry``: the delay before the
    job is tried again), else whatever the catalog says it became (done, cancelled)."""
    duration = time.monotonic() - start.clock
    if error is not None:
        outcome = "retry" if retry is not None else "failed"
        reason_class = failure_reason(error)
        METRICS.failures.labels(reason_class, "false" if retry is not None else "true").inc()
        _finished(start, outcome, duration)
        log.log(
            logging.WARNING if retry is not None else logging.ERROR,
            "job attempt failed; tried again later" if retry is not None else "job failed",
            extra=fields(
                event="job.fail",
                **start.ids(),
                outcome=outcome,
                duration_s=_round(duration),
                reason=reason,
                reason_class=reason_class,
                retry_in_s=None if retry is None else _round(retry.total_seconds()),
            ),
        )
        return
    with services.session() as session:
        job = session.get(Job, start.job_id, populate_existing=True)
        state = job.state if job is not None else "missing"
        result: dict[str, Any] = dict(job.result or {}) if job is not None else {}
    outcomes: dict[str, str] = {
        JobState.DONE: "done",
        JobState.CANCELLED: "cancelled",
        JobState.RUNNING: "taken_over",  # its lease ran out and another worker has it now
        JobState.QUEUED: "handed_back",  # this worker stopped before the job's end
    }
    outcome = outcomes.get(state, str(state))
    _finished(start, outcome, duration)
    frames, fps = _rendered(result) if outcome == "done" else (None, None)
    log.info(
        "job ended",
        extra=fields(
            event="job.end", **start.ids(), outcome=outcome, duration_s=_round(duration), frames=frames, fps=fps
        ),
    )


def _finished(start: JobStart, outcome: str, duration: float) -> None:
    METRICS.jobs_finished.labels(start.kind, start.lane, outcome).inc()
    METRICS.job_duration.labels(start.kind, start.lane, outcome).observe(duration)


def _rendered(result: dict[str, Any]) -> tuple[int | None, float | None]:
    """Observe each profile the render made (its wall time, frames, frames/s); the frames and
    frames/s of the render, for the log line."""
    made = [r.get("profile") for r in result.get("renditions") or [] if isinstance(r, dict)]
    if isinstance(result.get("output"), dict):
        made.append(result["output"].get("profile"))
    wall = float(result.get("wall_seconds") or 0.0)
    frames = int(result.get("frames_decoded") or 0)
    fps = frames / wall if wall > 0 and frames > 0 else None
    for profile in (p for p in made if isinstance(p, str)):
        if wall > 0:
            METRICS.profile_duration.labels(profile).observe(wall)
        if fps is not None:
            METRICS.profile_fps.labels(profile).observe(fps)
            METRICS.profile_frames.labels(profile).inc(frames)
    return (frames if wall > 0 else None), _round(fps)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def job_lost(session: Session, job_id: str, *, final: bool) -> None:
    """Count and log an attempt whose worker stopped answering (its lease ran out): ``final`` when the
    job was left failed for it, else it is sent again. Never raises."""
    try:
        job = session.get(Job, job_id)
        if job is None:
            return
        METRICS.failures.labels("worker_lost", "true" if final else "false").inc()
        ids = {
            "job": job.id,
            "asset": job.asset_id,
            "tenant": job.asset.tenant_id,
            "kind": job.kind,
            "profiles": list(job.profiles or ()),
            "lane": lane_of(job),
            "attempt": job.attempts,
            "worker": job.worker,
        }
        log.log(
            logging.ERROR if final else logging.WARNING,
            "job failed: its worker stopped answering" if final else "job's worker stopped answering; sent again",
            extra=fields(event="job.fail", **ids, outcome="failed" if final else "retry", reason_class="worker_lost"),
        )
    except Exception:
        log.warning("reporting the lost worker of job %s failed", job_id, exc_info=True)
