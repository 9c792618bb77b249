"""Catalog queries and state changes: every read and write of the catalog's rows lives here.

Reads are scoped to a tenant: an asset of another tenant is "not found", never "forbidden". An asset
another tenant shared with it (mam/sharing.py) can be read (``get_asset(..., shared=True)``, lists,
renditions); changing it raises :class:`ForbiddenError`, since only its owner may.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

import mam.search.index  # noqa: F401  (its flush hook keeps the search index in step with every write)
from mam.errors import ConflictError, ForbiddenError, NotFoundError
from mam.metadata.fields import apply_descriptive
from mam.models import Asset, AssetAnalysis, AssetStatus, Job, JobState, Rendition, ShotRow, Tenant, utcnow
from mam.search.visibility import visible_assets

__all__ = [
    "AssetChanges",
    "AssetPage",
    "cancel_job",
    "claim_job",
    "complete_job",
    "create_asset_with_job",
    "create_export_job",
    "ensure_tenant",
    "fail_job",
    "find_asset_by_checksum",
    "get_analysis",
    "get_asset",
    "get_job",
    "get_rendition",
    "jobs_to_resend",
    "list_assets",
    "list_shots",
    "register_rendition",
    "release_job",
    "rendered_profiles",
    "replace_analysis",
    "set_job_progress",
    "update_asset",
]


def ensure_tenant(session: Session, tenant_id: str, name: str | None = None) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        tenant = Tenant(id=tenant_id, name=name or tenant_id)
        session.add(tenant)
        try:
            session.commit()
        except IntegrityError:  # created by a concurrent process
            session.rollback()
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
    return tenant


def find_asset_by_checksum(session: Session, tenant_id: str, sha256: str) -> Asset | None:
    return session.scalars(select(Asset).where(Asset.tenant_id == tenant_id, Asset.sha256 == sha256)).first()


def create_asset_with_job(session: Session, asset: Asset, profiles: Sequence[str]) -> Job | None:
    """Insert the asset and, if there is anything to render, its job, in one transaction.

    Raises IntegrityError if the tenant already holds the same content (the caller dedupes).
    """
    session.add(asset)
    job = None
    if profiles:
        job = Job(asset=asset, profiles=list(profiles))
        session.add(job)
    else:
        asset.status = AssetStatus.READY
    session.commit()
    return job


def get_asset(session: Session, tenant_id: str, asset_id: str, *, shared: bool = False) -> Asset:
    """The tenant's own asset (to change it), or with ``shared`` also one shared with it (to read it).

    An asset shared with the tenant but asked for without ``shared`` raises :class:`ForbiddenError`.
    """
    asset = session.scalars(
        select(Asset)
        .where(Asset.id == asset_id, visible_assets(tenant_id))
        .options(selectinload(Asset.renditions), selectinload(Asset.jobs))
    ).first()
    if asset is None:
        raise NotFoundError(f"no asset {asset_id} in tenant {tenant_id}")
    if asset.tenant_id != tenant_id and not shared:
        raise ForbiddenError(
            f"asset {asset_id} belongs to {asset.tenant_id}, which shares it with {tenant_id} to read; "
            f"only {asset.tenant_id} can change, export or share it"
        )
    return asset


@dataclass(frozen=True)
class AssetPage:
    items: list[Asset]
    total: int
    limit: int
    offset: int


def list_assets(
    session: Session,
    tenant_id: str,
    q: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AssetPage:
    """Newest first, own and shared assets; ``q`` matches title, description, file name or a tag
    (substring, any case)."""
    where = [visible_assets(tenant_id)]
    if status:
        where.append(Asset.status == status)
    if q:
        pattern = f"%{q.strip().lower()}%"
        where.append(
            or_(
                func.lower(Asset.title).like(pattern),
                func.lower(Asset.description).like(pattern),
                func.lower(Asset.original_filename).like(pattern),
                func.lower(cast(Asset.tags, Text)).like(pattern),
            )
        )
    total = session.scalar(select(func.count()).select_from(Asset).where(and_(*where))) or 0
    items = session.scalars(
        select(Asset)
        .where(and_(*where))
        .options(selectinload(Asset.renditions))
        .order_by(Asset.created_at.desc(), Asset.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return AssetPage(list(items), total, limit, offset)


@dataclass(frozen=True)
class AssetChanges:
    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    descriptive: Mapping[str, Any] | None = None
    """Core descriptive fields and ``custom`` values (mam/metadata), validated on write."""


def update_asset(session: Session, tenant_id: str, asset_id: str, changes: AssetChanges) -> Asset:
    asset = get_asset(session, tenant_id, asset_id)
    if changes.title is not None:
        asset.title = changes.title
    if changes.description is not None:
        asset.description = changes.description
    if changes.tags is not None:
        asset.tags = list(dict.fromkeys(t.strip() for t in changes.tags if t.strip()))
    if changes.descriptive:
        apply_descriptive(session, asset, changes.descriptive)
    session.commit()
    return asset


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


def create_export_job(
    session: Session, tenant_id: str, asset_id: str, profile: str, start: float | str | None, end: float | str | None
) -> Job:
    """Queue a sub-clip export of one profile; the span is checked by the worker against the media."""
    asset = get_asset(session, tenant_id, asset_id)
    job = Job(asset=asset, kind="export", profiles=[profile], result={"request": {"start": start, "end": end}})
    session.add(job)
    session.commit()
    return job


def rendered_profiles(session: Session, asset: Asset) -> set[str]:
    """Profiles already made from the asset's current original."""
    return set(
        session.scalars(
            select(Rendition.profile).where(Rendition.asset_id == asset.id, Rendition.source_sha256 == asset.sha256)
        )
    )


def register_rendition(session: Session, rendition: Rendition) -> Rendition:
    """Record a completely stored rendition; a second registration of the same key is a no-op."""
    existing = session.scalars(
        select(Rendition).where(
            Rendition.asset_id == rendition.asset_id,
            Rendition.profile == rendition.profile,
            Rendition.source_sha256 == rendition.source_sha256,
        )
    ).first()
    if existing is not None:
        return existing
    session.add(rendition)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return register_rendition(session, rendition)
    return rendition


def get_rendition(session: Session, tenant_id: str, asset_id: str, profile: str) -> Rendition:
    """A current rendition of an asset the tenant owns or that was shared with it (a read)."""
    asset = get_asset(session, tenant_id, asset_id, shared=True)
    for rendition in asset.renditions:
        if rendition.profile == profile and rendition.source_sha256 == asset.sha256:
            return rendition
    made = ", ".join(r.profile for r in asset.renditions) or "none yet"
    raise NotFoundError(f"asset {asset_id} has no {profile!r} rendition (made: {made})")


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


def replace_analysis(session: Session, analysis: AssetAnalysis, shots: Sequence[ShotRow]) -> AssetAnalysis:
    """Record an asset's analysis, replacing the rows of an earlier one."""
    session.execute(delete(ShotRow).where(ShotRow.asset_id == analysis.asset_id))
    session.execute(delete(AssetAnalysis).where(AssetAnalysis.asset_id == analysis.asset_id))
    session.add(analysis)
    session.add_all(shots)
    session.commit()
    return analysis


def get_analysis(session: Session, tenant_id: str, asset_id: str) -> tuple[Asset, AssetAnalysis]:
    """An asset the tenant may read and its analysis; NotFoundError if it has none yet."""
    asset = get_asset(session, tenant_id, asset_id, shared=True)
    analysis = session.get(AssetAnalysis, asset_id)
    if analysis is None or analysis.source_sha256 != asset.sha256:
        raise NotFoundError(f"asset {asset_id} has not been analysed yet (its render job makes the analysis)")
    return asset, analysis


def list_shots(session: Session, asset_id: str) -> list[ShotRow]:
    return list(session.scalars(select(ShotRow).where(ShotRow.asset_id == asset_id).order_by(ShotRow.number)))
