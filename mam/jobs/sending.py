"""Handing jobs to the broker, and finding the ones it lost.

The broker only delivers; the catalog says what must run. A job needs sending again when it is
:func:`~mam.jobs.policy.claimable` with attempts left, and either

- it is running but its worker's lease ran out, and nothing was sent since then; or
- its last message is older than one sweep: the caller asks the broker whether it still holds
  that message (Redis can say by id; RabbitMQ whether it lost its queues since the message went out,
  through a loss mark: workers/loss_mark.py), and sends again only if it does not.

Of several workers sweeping at once, only the one whose conditional UPDATE of ``sent_at`` moves it
(:func:`take_send`) sends; and if two messages do end up queued, the job still runs once (claiming
is conditional too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from mam.jobs.policy import JobPolicy, claimable
from mam.models import Job, JobState, utcnow

__all__ = ["Unsent", "jobs_to_send", "record_sent", "take_send"]

_NEVER_SENT_GRACE = timedelta(seconds=2)
"""A job never sent (queued by a process with no broker, e.g. ``mam ingest`` on the embedded
default) is sent this long after it was made (its maker commits before it sends)."""


@dataclass(frozen=True)
class Unsent:
    """A job that may need a new message, with what the catalog knows of its last one."""

    id: str
    state: str
    sent_at: datetime | None
    message_id: str | None
    lease_until: datetime | None

    @property
    def lost_worker(self) -> bool:
        """Running, its lease ran out, and nothing was sent since: its worker died, so send it again
        whatever the broker holds (the dead worker's message may come back only much later)."""
        if self.state != JobState.RUNNING:
            return False
        return self.lease_until is None or self.sent_at is None or self.sent_at < self.lease_until


def jobs_to_send(session: Session, policy: JobPolicy) -> list[Unsent]:
    """Jobs that may be taken up now and whose last message may be gone, oldest first."""
    now = utcnow()
    last_sent = func.coalesce(Job.sent_at, Job.created_at)
    rows = session.execute(
        select(Job.id, Job.state, Job.sent_at, Job.message_id, Job.lease_until)
        .where(
            claimable(now),
            Job.attempts < policy.max_attempts,
            or_(
                Job.sent_at < now - policy.sweep,
                and_(Job.sent_at.is_(None), Job.created_at < now - _NEVER_SENT_GRACE),
                and_(Job.state == JobState.RUNNING, or_(Job.lease_until.is_(None), last_sent < Job.lease_until)),
            ),
        )
        .order_by(Job.created_at)
    ).all()
    return [Unsent(*row) for row in rows]


def take_send(session: Session, job: Unsent) -> bool:
    """Become the one that sends ``job`` again: True only if its ``sent_at`` was still what was read."""
    same = Job.sent_at.is_(None) if job.sent_at is None else Job.sent_at == job.sent_at
    taken = session.execute(
        update(Job).where(Job.id == job.id, same).values(sent_at=utcnow()).execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(taken, "rowcount", 0) == 1


def record_sent(session: Session, job_id: str, message_id: str, due: datetime | None = None) -> None:
    """Note the message just handed to the broker (``due``: when a delayed one becomes deliverable)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(sent_at=due or utcnow(), message_id=message_id)
        .execution_options(synchronize_session=False)
    )
    session.commit()
