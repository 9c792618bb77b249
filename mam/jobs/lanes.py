"""Lanes: ``urgent`` (breaking news) before ``normal`` before ``bulk`` (archive imports, backfills).

A job's lane is chosen when it is asked for (API field, CLI flag, watch folder setting) and kept on
the job. Each lane has its own broker queue, but the broker does not decide the order: dramatiq's
consumers prefetch from every queue alike and a busy worker can hold an urgent message while
another worker is free, so a worker slot that frees claims the highest lane's claimable job from
the catalog (:func:`claim_next`), whatever message woke it; within a lane, the oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.orm import Session

from mam.errors import JobRequestError
from mam.jobs.lifecycle import claim_job
from mam.jobs.policy import JobPolicy, claimable
from mam.jobs.sending import Unsent
from mam.models import Job, JobLane, JobState, utcnow

__all__ = ["LANES", "Lane", "claim_next", "lane_rank", "parse_lane", "parse_lanes", "waiting_job"]

_CANDIDATES = 5
"""Jobs tried, best first, before a slot settles for the job it was offered (another worker may
claim each of them first)."""


Lane = JobLane
"""A job's lane (the catalog's :class:`mam.models.JobLane`)."""

LANES: tuple[Lane, ...] = (Lane.URGENT, Lane.NORMAL, Lane.BULK)
"""Every lane, most urgent first."""


def parse_lane(value: str | None) -> Lane:
    """A lane by name (``None`` or empty: normal); :class:`JobRequestError` naming the lanes otherwise."""
    if value is None or not value.strip():
        return Lane.NORMAL
    try:
        return Lane(value.strip().lower())
    except ValueError:
        raise JobRequestError(
            f"unknown lane {value!r}: choose urgent, normal or bulk", code="unknown-lane", params={"lane": value[:40]}
        ) from None


def parse_lanes(values: str | Iterable[str]) -> tuple[Lane, ...]:
    """Lanes from ``"urgent,normal"`` (or a list), most urgent first, each once; at least one."""
    names = values.split(",") if isinstance(values, str) else list(values)
    lanes = {parse_lane(n) for n in names if n.strip()}
    if not lanes:
        raise JobRequestError("no lane given: choose among urgent, normal and bulk")
    return tuple(lane for lane in LANES if lane in lanes)


def lane_rank() -> ColumnElement[int]:
    """The job's lane as a number (urgent 0, normal 1, bulk 2) to order by in SQL."""
    return case({lane.value: lane.rank for lane in LANES}, value=Job.lane, else_=Lane.NORMAL.rank)


def claim_next(
    session: Session, offered: str, lanes: Sequence[Lane], policy: JobPolicy, worker: str | None = None
) -> Job | None:
    """A free slot was offered ``offered`` (the job of the message that woke it): claim the oldest
    claimable job of the highest lane among ``lanes`` that is not below the offered job's lane (the
    offered job itself, if it is that one); else ``offered``, if it is claimable. ``None``: nothing to
    run (``offered`` is done, running elsewhere, or in its backoff).

    The offered job, when passed over, stays queued: the caller sends it again (to the back of its
    lane's queue: a message is small, and the catalog's order is the one that counts)."""
    lane = session.scalar(select(Job.lane).where(Job.id == offered))
    rank = Lane(lane).rank if lane in {w.value for w in lanes} else len(LANES)
    wanted = [w.value for w in lanes if w.rank <= rank]
    if wanted:
        for candidate in session.scalars(
            select(Job.id)
            .where(claimable(utcnow()), Job.attempts < policy.max_attempts, Job.lane.in_(wanted))
            .order_by(lane_rank(), Job.created_at)
            .limit(_CANDIDATES)
        ).all():
            job = claim_job(session, candidate, policy, worker)
            if job is not None:
                return job
    return claim_job(session, offered, policy, worker)


def waiting_job(session: Session, lanes: Sequence[Lane], policy: JobPolicy, sent_before: datetime) -> Unsent | None:
    """The best queued job of ``lanes`` that could run now and whose last message was sent before
    ``sent_before``: a free slot that sees one has not been offered it (its message waits in a busy
    worker's prefetch), and sends it again (:func:`mam.jobs.sending.take_send` first)."""
    row = session.execute(
        select(Job.id, Job.state, Job.sent_at, Job.message_id, Job.lease_until)
        .where(
            Job.state == JobState.QUEUED,
            claimable(utcnow()),
            Job.attempts < policy.max_attempts,
            Job.lane.in_([w.value for w in lanes]),
            Job.sent_at < sent_before,
        )
        .order_by(lane_rank(), Job.created_at)
        .limit(1)
    ).first()
    return None if row is None else Unsent(*row)
