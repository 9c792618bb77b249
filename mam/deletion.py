"""Delete an asset: everything the catalog knows of it and every file the store keeps for it.

This is a **hard delete**: nothing is kept for a retention period and nothing can be restored.
What goes, in this order:

1. its queued or running jobs are cancelled (a running render stops within about a second; a
   worker that sees its job cancelled or gone registers nothing and removes what it had stored);
2. every object under the asset's prefix in the store (:func:`mam.layout.asset_prefix`): the
   original, renditions (HLS folders included), analysis pictures, storyboard and exports;
3. in one transaction, its rows: search entries, subtitle cues, spans, shots, analysis, shares,
   renditions, jobs and the asset itself.

Files go before rows so that a store that fails part way leaves the asset in the catalog, and the
delete can simply be asked for again. Only the owner may delete an asset: a tenant it is shared
with gets :class:`~mam.errors.ForbiddenError`, any other :class:`~mam.errors.NotFoundError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from mam.audit import Actor, AuditAction, record
from mam.catalog import get_asset
from mam.errors import ConflictError
from mam.events import EventType, asset_audience, emit
from mam.jobs import cancel_job
from mam.layout import asset_prefix
from mam.models import (
    Asset,
    AssetAnalysis,
    Job,
    JobState,
    Rendition,
    ScreenTextLine,
    SearchEntry,
    Share,
    ShotRow,
    Span,
    SubtitleCue,
)
from mam.services import Services

__all__ = ["Deletion", "delete_asset"]


@dataclass(frozen=True)
class Deletion:
    """What deleting one asset removed."""

    asset_id: str
    renditions: int
    jobs: int
    cancelled_jobs: int
    shares: int
    objects: int


def _cancel_active_jobs(session: Session, tenant_id: str, asset_id: str) -> int:
    active = session.scalars(
        select(Job.id).where(Job.asset_id == asset_id, Job.state.in_((JobState.QUEUED, JobState.RUNNING)))
    ).all()
    cancelled = 0
    for job_id in active:
        try:
            cancel_job(session, tenant_id, job_id)
            cancelled += 1
        except ConflictError:  # it ended meanwhile: nothing left to stop
            pass
    return cancelled


def _delete_rows(session: Session, asset_id: str) -> dict[str, int]:
    """Delete the asset's rows, children first (SQLite's full-text triggers see each entry go)."""
    tables: list[tuple[str, type, ColumnElement[bool]]] = [
        ("search_entries", SearchEntry, SearchEntry.asset_id == asset_id),
        ("cues", SubtitleCue, SubtitleCue.asset_id == asset_id),
        ("screen_text", ScreenTextLine, ScreenTextLine.asset_id == asset_id),
        ("spans", Span, Span.asset_id == asset_id),
        ("shots", ShotRow, ShotRow.asset_id == asset_id),
        ("analysis", AssetAnalysis, AssetAnalysis.asset_id == asset_id),
        ("shares", Share, Share.asset_id == asset_id),
        ("renditions", Rendition, Rendition.asset_id == asset_id),
        ("jobs", Job, Job.asset_id == asset_id),
        ("assets", Asset, Asset.id == asset_id),
    ]
    counts = {}
    connection = session.connection()
    for name, table, where in tables:
        counts[name] = int(getattr(connection.execute(delete(table).where(where)), "rowcount", 0) or 0)
    return counts


def delete_asset(services: Services, tenant_id: str, asset_id: str, *, actor: Actor | None = None) -> Deletion:
    """Remove the tenant's asset from the catalog and the store for good (see the module docstring).

    With ``actor``, the delete is recorded in the audit trail in the commit that removes the rows."""
    with services.session() as session:
        asset = get_asset(session, tenant_id, asset_id)
        prefix = asset_prefix(asset.tenant_id, asset.id)
        cancelled = _cancel_active_jobs(session, tenant_id, asset_id)
    objects = services.storage.delete_prefix(prefix)
    with services.session() as session:
        asset = get_asset(session, tenant_id, asset_id)  # still there (a concurrent delete answers "not found")
        gone = {"title": asset.title, "original_filename": asset.original_filename, "sha256": asset.sha256}
        notice = {"asset_id": asset_id, "owner": tenant_id, "title": asset.title, "status": "deleted"}
        audience = asset_audience(session, asset_id)  # before the shares go
        session.expunge_all()
        counts = _delete_rows(session, asset_id)
        if actor is not None:
            details = {**gone, "renditions": counts["renditions"], "shares": counts["shares"], "objects": objects}
            record(session, actor, AuditAction.ASSET_DELETE, target=asset_id, details=details)
        emit(session, EventType.ASSET_DELETED, tenant_id, asset_id, notice, also_to=audience)
        session.commit()
    return Deletion(
        asset_id=asset_id,
        renditions=counts["renditions"],
        jobs=counts["jobs"],
        cancelled_jobs=cancelled,
        shares=counts["shares"],
        objects=objects,
    )
