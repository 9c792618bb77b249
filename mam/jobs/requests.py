"""Asking for work: an asset with its render job, a sub-clip export."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from mam.catalog import get_asset
from mam.models import Asset, AssetStatus, Job

__all__ = ["create_asset_with_job", "create_export_job"]


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


def create_export_job(
    session: Session, tenant_id: str, asset_id: str, profile: str, start: float | str | None, end: float | str | None
) -> Job:
    """Queue a sub-clip export of one profile; the span is checked by the worker against the media."""
    asset = get_asset(session, tenant_id, asset_id)
    job = Job(asset=asset, kind="export", profiles=[profile], result={"request": {"start": start, "end": end}})
    session.add(job)
    session.commit()
    return job
