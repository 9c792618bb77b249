"""The job policy, decided once: when a job may be taken up, how often it is tried, how long to wait
between tries, and how long a worker's silence means it died.

Every worker process and every in-process runner asks these questions here (through
:mod:`mam.jobs.lifecycle`); the broker's own retry and redelivery rules are not used to decide.

- **Claimable** (:func:`claimable`): a job is queued and its backoff is over, or it is running and
  its worker's lease ran out. Claiming is one conditional UPDATE, so one job runs once however
  often its message arrives.
- **Lease**: a running job's worker extends its lease every third of ``lease``; a worker killed
  or cut off stops extending it, and the job becomes claimable again when it runs out.
- **Attempts**: each claim counts one, a worker that died included; after ``max_attempts`` the
  job is failed with the last reason.
- **Backoff**: after a passing fault the job waits ``backoff`` before its next attempt, doubled at
  each further attempt, at most ``max_backoff``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from mam.models import Job, JobState
from mam.settings import Settings

__all__ = ["JobPolicy", "claimable"]


@dataclass(frozen=True)
class JobPolicy:
    max_attempts: int = 3
    lease: timedelta = timedelta(seconds=30)
    backoff: timedelta = timedelta(seconds=10)
    max_backoff: timedelta = timedelta(minutes=10)
    sweep: timedelta = timedelta(seconds=10)
    """How often workers look for jobs to send again; a message younger than this is not asked after."""

    @classmethod
    def from_settings(cls, settings: Settings) -> JobPolicy:
        return cls(
            max_attempts=settings.job_max_attempts,
            lease=timedelta(seconds=settings.job_lease_seconds),
            backoff=timedelta(seconds=settings.job_backoff_seconds),
            sweep=timedelta(seconds=settings.job_sweep_seconds),
        )

    @property
    def heartbeat_seconds(self) -> float:
        """How often a running job's worker extends its lease: three chances before it runs out."""
        return self.lease.total_seconds() / 3

    def backoff_after(self, attempt: int) -> timedelta:
        """The wait before the attempt after ``attempt`` (1, 2, …) failed with a passing fault."""
        wait: timedelta = self.backoff * (2 ** max(0, attempt - 1))
        return min(wait, self.max_backoff)

    def gave_up(self, attempts: int, reason: str) -> str:
        return f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}; last error: {reason}"

    def worker_lost(self, worker: str | None) -> str:
        """The reason of an attempt whose worker stopped renewing its lease."""
        return (
            f"the worker running it ({worker or 'unknown'}) stopped answering for {self.lease.total_seconds():g} s "
            "(killed, out of memory, or its machine lost); see that worker's log"
        )


def claimable(now: datetime) -> ColumnElement[bool]:
    """The one rule: queued with its backoff over, or running with its worker's lease run out.

    A running job with no lease at all was started before leases existed (migration 0012)."""
    return or_(
        and_(Job.state == JobState.QUEUED, or_(Job.retry_at.is_(None), Job.retry_at <= now)),
        and_(Job.state == JobState.RUNNING, or_(Job.lease_until.is_(None), Job.lease_until < now)),
    )
