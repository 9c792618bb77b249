"""A job's life in the catalog: claim, lease, progress, complete, fail or retry, cancel.

The catalog is the source of truth for jobs; the broker only delivers them. Every state change is a
conditional UPDATE, so of two racing changes (a cancel and a completion, two deliveries of one
message) only one takes effect. When a job may be claimed, and how often and how soon it is tried
again, is the policy's (:mod:`mam.jobs.policy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mam.catalog import rendered_profiles
from mam.errors import ConflictError, NotFoundError
from mam.events import EventType, emit_job, emit_job_progress, emit_renditions
from mam.jobs.policy import JobPolicy, claimable
from mam.models import Asset, AssetStatus, Job, JobState, Rendition, utcnow

__all__ = [
    "cancel_job",
    "claim_job",
    "complete_job",
    "end_failed_attempt",
    "fail_job",
    "get_job",
    "give_up_abandoned",
    "hand_back",
    "renew_lease",
    "set_job_progress",
]


def get_job(session: Session, tenant_id: str, job_id: str) -> Job:
    job = session.scalars(select(Job).join(Asset).where(Job.id == job_id, Asset.tenant_id == tenant_id)).first()
    if job is None:
        raise NotFoundError(f"no job {job_id} in tenant {tenant_id}", code="job-not-found")
    return job


def claim_job(session: Session, job_id: str, policy: JobPolicy, worker: str | None = None) -> Job | None:
    """Take the job up if it is :func:`~mam.jobs.policy.claimable` and has attempts left: running,
    one more attempt counted, a lease of ``policy.lease``; ``None`` if it is not ours to run.

    The conditional UPDATE makes two deliveries of one message (or two workers) run the job once.
    A job whose worker died on its last allowed attempt is failed here instead."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, claimable(now), Job.attempts < policy.max_attempts)
        .values(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            started_at=now,
            updated_at=now,
            lease_until=now + policy.lease,
            retry_at=None,
            worker=worker,
            error=None,
            progress=0.0,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if getattr(result, "rowcount", 0) != 1:
        give_up_abandoned(session, policy, job_id)
        return None
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None:
        if job.kind == "render":
            job.asset.status = AssetStatus.PROCESSING
        emit_job(session, EventType.JOB_STARTED, job)
        session.commit()
    return job


def renew_lease(session: Session, job_id: str, attempt: int, policy: JobPolicy) -> bool:
    """Extend the running job's lease; False once the job is no longer this attempt's (cancelled,
    ended, or taken up by another worker after the lease ran out)."""
    renewed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.attempts == attempt)
        .values(lease_until=utcnow() + policy.lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(renewed, "rowcount", 0) == 1


def set_job_progress(
    session: Session, job_id: str, progress: float, fps: float | None = None, eta_seconds: float | None = None
) -> str | None:
    """Record a running job's progress; returns the job's state (``cancelled`` tells the worker to stop)."""
    values: dict[str, Any] = {"progress": round(min(max(progress, 0.0), 1.0), 4), "updated_at": utcnow()}
    if fps is not None or eta_seconds is not None:
        asked = (session.scalar(select(Job.result).where(Job.id == job_id)) or {}).get("request")
        values["result"] = {
            **({"request": asked} if asked is not None else {}),  # an export's span outlives its attempts
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
    emit_job_progress(session, job_id)  # at most one event a second per job
    return session.scalar(select(Job.state).where(Job.id == job_id))


def _change_job(
    session: Session, job_id: str, states: Sequence[JobState], *where: ColumnElement[bool], **values: Any
) -> bool:
    """Set ``values`` on the job in one conditional UPDATE, only while its state is one of ``states``.

    False, with the session rolled back, when it was not (another change came first): of two racing
    state changes, only one can take effect. On True the change is not committed yet."""
    changed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_(states), *where)
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
    emit_job(session, EventType.JOB_CANCELLED, job)
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
            lease_until=None,
        ):
            return False
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        made = rendered_profiles(session, job.asset)
        fresh = [r for r in renditions if r.profile not in made]
        session.add_all(fresh)
        if job.kind == "render":
            job.asset.status = AssetStatus.READY
            job.asset.error = None
        try:
            emit_renditions(session, job, fresh)
            emit_job(session, EventType.JOB_DONE, job)
            session.commit()
            return True
        except IntegrityError:  # another job registered one of them meanwhile: keep theirs
            session.rollback()
    raise ConflictError(f"job {job_id}: its renditions kept conflicting with another job's")


def fail_job(session: Session, job_id: str, reason: str, attempt: int | None = None) -> bool:
    """Leave the queued or running job failed with a reason a person can act on; the asset says so too.

    With ``attempt``, only while the job is still that attempt's. False if it had ended already."""
    where = [] if attempt is None else [Job.attempts == attempt]
    if not _change_job(
        session,
        job_id,
        (JobState.QUEUED, JobState.RUNNING),
        *where,
        state=JobState.FAILED,
        error=reason,
        finished_at=utcnow(),
        lease_until=None,
    ):
        return False
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None and job.kind == "render":
        _settle_asset(job, reason)
    if job is not None:
        emit_job(session, EventType.JOB_FAILED, job)
    session.commit()
    return True


def _settle_asset(failed: Job, reason: str) -> None:
    """An asset whose render job failed: still processing while another render job is active, ready
    when renditions of its current original exist (a rendition asked for later failed, not the
    asset), else failed with the reason."""
    asset = failed.asset
    active = (JobState.QUEUED, JobState.RUNNING)
    if any(j.id != failed.id and j.kind == "render" and j.state in active for j in asset.jobs):
        return
    if any(r.source_sha256 == asset.sha256 for r in asset.renditions):
        asset.status, asset.error = AssetStatus.READY, None
    else:
        asset.status, asset.error = AssetStatus.FAILED, reason


def end_failed_attempt(
    session: Session, job_id: str, attempt: int, reason: str, policy: JobPolicy, *, permanent: bool = False
) -> timedelta | None:
    """After an attempt failed: back in the queue after the policy's backoff (returned: send the job
    again with that delay), or, for a permanent failure or the last attempt, failed. ``None``: no retry."""
    if permanent or attempt >= policy.max_attempts:
        fail_job(session, job_id, reason if permanent else policy.gave_up(attempt, reason), attempt)
        return None
    delay = policy.backoff_after(attempt)
    due = utcnow() + delay
    released = _change_job(
        session,
        job_id,
        (JobState.RUNNING,),
        Job.attempts == attempt,
        state=JobState.QUEUED,
        error=reason,
        retry_at=due,
        lease_until=None,
        sent_at=due,  # the retry's message is sent now with this delay: it is due then
    )
    if not released:
        return None
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None:
        emit_job(session, EventType.JOB_QUEUED, job)  # again, after the backoff; ``error`` says why
    session.commit()
    return delay


def hand_back(session: Session, job_id: str, attempt: int) -> bool:
    """A stopping worker gives its running job back (its grace period ran out): queued again at once,
    the attempt not counted (it did not fail). False if the job is no longer this attempt's."""
    if not _change_job(
        session,
        job_id,
        (JobState.RUNNING,),
        Job.attempts == attempt,
        state=JobState.QUEUED,
        attempts=Job.attempts - 1,
        lease_until=None,
        worker=None,
        progress=0.0,
        error=None,
    ):
        return False
    session.commit()
    return True


def give_up_abandoned(session: Session, policy: JobPolicy, job_id: str | None = None) -> list[str]:
    """Fail the running jobs whose lease ran out on their last allowed attempt (their worker died
    every time): nothing would ever take them up again."""
    now = utcnow()
    query = select(Job.id, Job.attempts, Job.worker).where(
        Job.state == JobState.RUNNING, claimable(now), Job.attempts >= policy.max_attempts
    )
    if job_id is not None:
        query = query.where(Job.id == job_id)
    given_up = []
    for found, attempts, worker in session.execute(query).all():
        if fail_job(session, found, policy.gave_up(attempts, policy.worker_lost(worker)), attempts):
            given_up.append(found)
    return given_up
