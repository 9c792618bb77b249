"""Reading jobs: a tenant's jobs, newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mam.models import Asset, Job, JobLane, JobState

__all__ = ["JobPage", "list_jobs"]


@dataclass(frozen=True)
class JobPage:
    items: list[Job]
    total: int
    """Jobs matching the filter, on every page."""
    limit: int
    offset: int


def list_jobs(
    session: Session,
    tenant_id: str,
    states: Sequence[JobState] = (),
    asset_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    lanes: Sequence[JobLane] = (),
) -> JobPage:
    """The jobs on the tenant's own assets (a shared asset's jobs are its owner's), newest first;
    only those in ``states`` when some are given, in ``lanes`` when some are given, only the asset's
    with ``asset_id``."""
    where = [Asset.tenant_id == tenant_id]
    if states:
        where.append(Job.state.in_([JobState(s).value for s in states]))
    if asset_id is not None:
        where.append(Job.asset_id == asset_id)
    if lanes:
        where.append(Job.lane.in_([JobLane(lane).value for lane in lanes]))
    total = session.scalar(select(func.count()).select_from(Job).join(Asset).where(*where)) or 0
    items = session.scalars(
        select(Job).join(Asset).where(*where).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset)
    ).all()
    return JobPage(list(items), total, limit, offset)
