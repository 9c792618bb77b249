"""Catalog queries and state changes: every read and write of the catalog's rows lives here.

Reads are scoped to a tenant: an asset of another tenant is "not found", never "forbidden". An asset
another tenant shared with it (mam/sharing.py) can be read (``get_asset(..., shared=True)``, lists,
renditions); changing it raises :class:`ForbiddenError`, since only its owner may.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from mam.audit import Actor, AuditAction, changed, record
from mam.errors import ForbiddenError, NotFoundError
from mam.events import EventType, emit_asset
from mam.metadata.fields import CORE_FIELDS, apply_descriptive
from mam.models import Asset, AssetAnalysis, Rendition, ShotRow, Tenant
from mam.search import SearchRequest, search
from mam.search.visibility import visible_assets

__all__ = [
    "AssetChanges",
    "AssetPage",
    "ensure_tenant",
    "find_asset_by_checksum",
    "get_analysis",
    "get_asset",
    "get_rendition",
    "list_assets",
    "list_shots",
    "register_rendition",
    "rendered_profiles",
    "replace_analysis",
    "tenant_name",
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


def tenant_name(session: Session, tenant_id: str) -> str:
    """A tenant's display name (its id when it has none, or is unknown)."""
    tenant = session.get(Tenant, tenant_id)
    return (tenant.name if tenant is not None else "") or tenant_id


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
        raise NotFoundError(f"no asset {asset_id} in tenant {tenant_id}", code="asset-not-found")
    if asset.tenant_id != tenant_id and not shared:
        raise ForbiddenError(
            f"asset {asset_id} belongs to {asset.tenant_id}, which shares it with {tenant_id} to read; "
            f"only {asset.tenant_id} can change, export or share it",
            code="shared-read-only",
            params={"owner": tenant_name(session, asset.tenant_id)},
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
    """Own and shared assets, newest first; with ``q``, what the search finds for it (mam/search:
    words in either script, pinyin, ``tag:`` and other filters), in the search's order, so that the
    list and ``/api/v1/search`` agree. Above a thousand matches the total is the search's estimate.
    Raises SearchError for a query the search cannot understand (too long, a malformed filter)."""
    if q and q.strip():
        found = search(session, tenant_id, SearchRequest(q=q, status=status, limit=limit, offset=offset, facets=False))
        return AssetPage([hit.asset for hit in found.hits], found.total, limit, offset)
    where = [visible_assets(tenant_id)]
    if status:
        where.append(Asset.status == status)
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


def _described(asset: Asset) -> dict[str, Any]:
    """The asset's descriptive fields as the audit trail shows a change of them (custom values one by one)."""
    fields = {name: getattr(asset, name) for name in ("title", "description", "tags", *CORE_FIELDS)}
    fields.update({f"custom.{name}": value for name, value in (asset.custom or {}).items()})
    return {name: list(value) if isinstance(value, list) else value for name, value in fields.items()}


def update_asset(
    session: Session, tenant_id: str, asset_id: str, changes: AssetChanges, *, actor: Actor | None = None
) -> Asset:
    """Change the tenant's asset's description; with ``actor``, the change (fields before and after) is
    recorded in the audit trail in the same commit."""
    asset = get_asset(session, tenant_id, asset_id)
    before = _described(asset)
    if changes.title is not None:
        asset.title = changes.title
    if changes.description is not None:
        asset.description = changes.description
    if changes.tags is not None:
        asset.tags = list(dict.fromkeys(t.strip() for t in changes.tags if t.strip()))
    if changes.descriptive:
        apply_descriptive(session, asset, changes.descriptive)
    if actor is not None:
        record(session, actor, AuditAction.ASSET_UPDATE, target=asset.id, details=changed(before, _described(asset)))
    emit_asset(session, EventType.ASSET_UPDATED, asset)
    session.commit()
    return asset


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
    raise NotFoundError(
        f"asset {asset_id} has no {profile!r} rendition (made: {made})",
        code="rendition-not-found",
        params={"profile": profile[:64]},
    )


def replace_analysis(session: Session, analysis: AssetAnalysis, shots: Sequence[ShotRow]) -> AssetAnalysis:
    """Record an asset's analysis, replacing the rows of an earlier one; the asset's ``has_speech``
    becomes what this analysis heard (None: it had no sound to listen to)."""
    asset = session.get(Asset, analysis.asset_id)
    if asset is not None:
        sound = (analysis.measurements or {}).get("sound")
        asset.has_speech = bool(sound["has_speech"]) if sound else None
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
        raise NotFoundError(
            f"asset {asset_id} has not been analysed yet (its render job makes the analysis)",
            code="analysis-not-ready",
        )
    return asset, analysis


def list_shots(session: Session, asset_id: str) -> list[ShotRow]:
    return list(session.scalars(select(ShotRow).where(ShotRow.asset_id == asset_id).order_by(ShotRow.number)))
