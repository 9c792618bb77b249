"""A job's life in the catalog: claim, progress, complete, fail, release, cancel, and the jobs to resend.

The catalog is the source of truth for jobs; the broker only delivers them. Every state change is a
conditional UPDATE, so of two racing changes (a cancel and a completion, two deliveries of one
message) only one takes effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mam.catalog import rendered_profiles
from mam.errors import ConflictError, NotFoundError
from mam.models import Asset, AssetStatus, Job, JobState, Rendition, utcnow

__all__ = [
    "cancel_job",
    "claim_job",
    "complete_job",
    "fail_job",
    "get_job",
    "jobs_to_resend",
    "release_job",
    "set_job_progress",
]


def get_job(session: Session, tenant_id: str, job_id: str) -> Job:
    job = session.scalars(select(Job).join(Asset).where(Job.id == job_id, Asset.tenant_id == tenant_id)).first()
    if job is None:
        raise NotFoundError(f"no job {job_id} in tenant {tenant_id}")
    return job


def claim_job(session: Session, job_id: str, stale_after: timedelta) -> Job | None:
    """Mark a queued job running and count the attempt; ``None`` if it is not ours to run.

    A job left "running" for longer than ``stale_after`` (its worker died) may be claimed again.
    The conditional UPDATE makes two deliveries of one message run the job once.
    """
    now = utcnow()
    claimable = or_(
        Job.state == JobState.QUEUED,
        and_(Job.state == JobState.RUNNING, Job.updated_at < now - stale_after),
    )
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, claimable)
        .values(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            started_at=now,
            updated_at=now,
            error=None,
            progress=0.0,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if getattr(result, "rowcount", 0) != 1:
        return None
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None and job.kind == "render":
        job.asset.status = AssetStatus.PROCESSING
        session.commit()
    return job


def set_job_progress(
    session: Session, job_id: str, progress: float, fps: float | None = None, eta_seconds: float | None = None
) -> str | None:
    """Record a running job's progress; returns the job's state (``cancelled`` tells the worker to stop)."""
    values: dict[str, Any] = {"progress": round(min(max(progress, 0.0), 1.0), 4), "updated_at": utcnow()}
    if fps is not None or eta_seconds is not None:
        values["result"] = {
            "fps": None if fps is None else round(fps, 1),
            "eta_seconds": None if eta_seconds is None else round(eta_seconds, 1),
        }
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return session.scalar(select(Job.state).where(Job.id == job_id))


def _change_job(session: Session, job_id: str, states: Sequence[JobState], **values: Any) -> bool:
    """Set ``values`` on the job in one conditional UPDATE, only while its state is one of ``states``.

    False, with the session rolled back, when it was not (another change came first): of two racing
    state changes, only one can take effect. On True the change is not committed yet."""
    changed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_(states))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        session.rollback()
        return False
    return True


def cancel_job(session: Session, tenant_id: str, job_id: str) -> Job:
    """Stop a queued or running job; its worker notices within about a second and registers nothing.

    The state change is conditional (only a queued or running job becomes cancelled), so a cancel
    racing the job's completion can never mark a finished job cancelled."""
    job = get_job(session, tenant_id, job_id)
    active = (JobState.QUEUED, JobState.RUNNING)
    if not _change_job(
        session, job.id, active, state=JobState.CANCELLED, error="cancelled on request", finished_at=utcnow()
    ):
        state = session.get(Job, job.id, populate_existing=True)
        raise ConflictError(
            f"job {job_id} has already ended ({state.state if state else 'gone'}); "
            "only queued or running jobs can be cancelled"
        )
    session.refresh(job)
    asset = job.asset
    if job.kind == "render":
        current = [r for r in asset.renditions if r.source_sha256 == asset.sha256]
        asset.status = AssetStatus.READY if current else AssetStatus.FAILED
        asset.error = None if current else "processing was cancelled before any rendition was made"
    session.commit()
    return job


def complete_job(session: Session, job_id: str, result: dict[str, Any], renditions: Sequence[Rendition] = ()) -> bool:
    """Register ``renditions`` and mark the running job done, in one transaction.

    False, with nothing registered, when the job is no longer running (cancelled meanwhile): the
    state change is conditional, so a cancel and a completion can never both take effect."""
    for _ in range(3):
        if not _change_job(
            session,
            job_id,
            (JobState.RUNNING,),
            state=JobState.DONE,
            progress=1.0,
            result=result,
            error=None,
            finished_at=utcnow(),
        ):
            return False
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        made = rendered_profiles(session, job.asset)
        session.add_all(r for r in renditions if r.profile not in made)
        if job.kind == "render":
            job.asset.status = AssetStatus.READY
            job.asset.error = None
        try:
            session.commit()
            return True
        except IntegrityError:  # another job registered one of them meanwhile: keep theirs
            session.rollback()
    raise ConflictError(f"job {job_id}: its renditions kept conflicting with another job's")


def fail_job(session: Session, job: Job, reason: str) -> None:
    """Leave the job failed with a reason a person can act on; the asset says so too."""
    if job.state == JobState.CANCELLED:
        return
    job.state = JobState.FAILED
    job.error = reason
    job.finished_at = utcnow()
    if job.kind == "render":
        job.asset.status = AssetStatus.FAILED
        job.asset.error = reason
    session.commit()


def release_job(session: Session, job: Job, reason: str) -> None:
    """Put a job that hit a passing fault back in the queue for another attempt."""
    job.state = JobState.QUEUED
    job.error = reason
    session.commit()


def jobs_to_resend(session: Session, stale_after: timedelta, max_attempts: int) -> list[str]:
    """Ids of queued jobs, and of running jobs whose worker went silent, to send to the broker again."""
    now = utcnow()
    rows = session.scalars(
        select(Job.id)
        .where(
            Job.attempts < max_attempts,
            or_(
                Job.state == JobState.QUEUED,
                and_(Job.state == JobState.RUNNING, Job.updated_at < now - stale_after),
            ),
        )
        .order_by(Job.created_at)
    )
    return list(rows)
