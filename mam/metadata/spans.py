"""Cataloguing inside an asset (编目): segments, shots and markers with in/out times and notes.

Each change tells the asset's owner and the tenants it is shared with (``asset.updated``, ``changed``:
``spans``), in the change's own transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mam.errors import ForbiddenError, MetadataError, NotFoundError
from mam.events import EventType, emit_asset
from mam.models import Asset, ShotRow, Span, SpanKind, Tenant
from mam.search.visibility import visible_assets

__all__ = ["add_span", "delete_span", "list_spans", "owned_asset"]


def _owner_name(session: Session, tenant_id: str) -> str:
    tenant = session.get(Tenant, tenant_id)
    return (tenant.name if tenant is not None else "") or tenant_id


def owned_asset(session: Session, tenant_id: str, asset_id: str, *, shared: bool = False) -> Asset:
    """The tenant's own asset (to catalogue inside it), or with ``shared`` also one shared with it (to
    read its spans and subtitles). Another tenant's asset is not found; one shared with the tenant but
    asked for to change it raises :class:`ForbiddenError` (only its owner catalogues it)."""
    asset = session.scalars(select(Asset).where(Asset.id == asset_id, visible_assets(tenant_id))).first()
    if asset is None:
        raise NotFoundError(f"no asset {asset_id} in tenant {tenant_id}", code="asset-not-found")
    if asset.tenant_id != tenant_id and not shared:
        raise ForbiddenError(
            f"asset {asset_id} is shared with {tenant_id} to read; only its owner catalogues it",
            code="shared-read-only",
            params={"owner": _owner_name(session, asset.tenant_id)},
        )
    return asset


def add_span(
    session: Session,
    tenant_id: str,
    asset_id: str,
    kind: str,
    start: float | None = None,
    end: float | None = None,
    title: str = "",
    note: str = "",
    tags: list[str] | None = None,
    shot: int | None = None,
) -> Span:
    """Catalogue a time range (seconds from the start of the asset); searchable at once.

    ``shot`` catalogues a shot the analysis detected (its number): its in and out points are the
    shot's own, so a search finds the described shot with its timecodes.
    """
    asset = owned_asset(session, tenant_id, asset_id)
    if kind not in set(SpanKind):
        raise MetadataError(f"kind {kind!r}: use one of {', '.join(SpanKind)}")
    if shot is not None:
        if kind != SpanKind.SHOT:
            raise MetadataError(f"a detected shot is catalogued as kind 'shot', not {kind!r}")
        row = session.scalars(select(ShotRow).where(ShotRow.asset_id == asset.id, ShotRow.number == shot)).first()
        if row is None:
            raise NotFoundError(f"asset {asset_id} has no detected shot {shot} (its render job finds the shots)")
        start, end = row.start, row.end
    if start is None:
        raise MetadataError("a span needs its in point (start, seconds), or the number of a detected shot")
    if start < 0 or (end is not None and end < start):
        raise MetadataError(f"in {start} and out {end}: times are seconds, and out is not before in")
    if asset.duration is not None and start > asset.duration + 0.001:
        raise MetadataError(f"in {start} is after the end of the asset ({asset.duration:.3f} s)")
    span = Span(
        asset_id=asset.id,
        kind=kind,
        start=start,
        end=end,
        title=title.strip(),
        note=note.strip(),
        tags=list(dict.fromkeys(t.strip() for t in tags or [] if t.strip())),
    )
    session.add(span)
    emit_asset(session, EventType.ASSET_UPDATED, asset, changed="spans")
    session.commit()
    return span


def list_spans(session: Session, tenant_id: str, asset_id: str, kind: str | None = None) -> list[Span]:
    owned_asset(session, tenant_id, asset_id, shared=True)
    query = select(Span).where(Span.asset_id == asset_id)
    if kind:
        query = query.where(Span.kind == kind)
    return list(session.scalars(query.order_by(Span.start, Span.id)))


def delete_span(session: Session, tenant_id: str, asset_id: str, span_id: str) -> None:
    asset = owned_asset(session, tenant_id, asset_id)
    span = session.scalars(select(Span).where(Span.id == span_id, Span.asset_id == asset_id)).first()
    if span is None:
        raise NotFoundError(f"no span {span_id} on asset {asset_id}")
    session.delete(span)
    emit_asset(session, EventType.ASSET_UPDATED, asset, changed="spans")
    session.commit()
