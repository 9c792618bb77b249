"""Sharing: an asset's owner (the provincial platform) grants other tenants (counties) read access.

A share is one row per (asset, tenant). Subscribers list, search, read and download a shared asset;
only its owner may change, export or share it. Who sees what is decided in one place,
:mod:`mam.search.visibility`; this module only grants and revokes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mam.audit import Actor, AuditAction, record
from mam.catalog import get_asset
from mam.errors import NotFoundError, ShareError
from mam.events import EventType, emit_share
from mam.models import Share, Tenant

__all__ = ["list_shares", "share_asset", "unshare_asset"]


def list_shares(session: Session, owner_id: str, asset_id: str) -> list[Share]:
    """The tenants the owner shares ``asset_id`` with (ForbiddenError for a subscriber)."""
    get_asset(session, owner_id, asset_id)
    return list(session.scalars(select(Share).where(Share.asset_id == asset_id).order_by(Share.tenant_id)))


def share_asset(
    session: Session, owner_id: str, asset_id: str, tenant_ids: Sequence[str], *, actor: Actor | None = None
) -> list[Share]:
    """Grant each tenant read access to the owner's asset; sharing twice is a no-op. Returns every share.

    With ``actor``, the tenants newly granted are recorded in the audit trail in the same commit."""
    get_asset(session, owner_id, asset_id)
    wanted = list(dict.fromkeys(t.strip() for t in tenant_ids if t.strip()))
    if not wanted:
        raise ShareError("name at least one tenant to share with", code="share-no-tenant")
    if owner_id in wanted:
        raise ShareError(f"{owner_id} owns asset {asset_id}; share it with other tenants", code="share-with-owner")
    known = set(session.scalars(select(Tenant.id).where(Tenant.id.in_(wanted))))
    unknown = [t for t in wanted if t not in known]
    if unknown:
        listed = ", ".join(t[:64] for t in unknown)
        raise ShareError(f"unknown tenant(s): {listed}", code="share-unknown-tenant", params={"tenants": listed})
    have = set(session.scalars(select(Share.tenant_id).where(Share.asset_id == asset_id)))
    granted = [t for t in wanted if t not in have]
    for tenant_id in granted:
        session.add(Share(asset_id=asset_id, tenant_id=tenant_id))
    if granted and actor is not None:
        record(session, actor, AuditAction.SHARE_CREATE, target=asset_id, details={"tenants": granted})
    emit_share(session, EventType.SHARE_GRANTED, get_asset(session, owner_id, asset_id), granted)
    try:
        session.commit()
    except IntegrityError:  # the same share granted at the same moment by another request
        session.rollback()
        return share_asset(session, owner_id, asset_id, wanted, actor=actor)
    return list_shares(session, owner_id, asset_id)


def unshare_asset(
    session: Session, owner_id: str, asset_id: str, tenant_id: str, *, actor: Actor | None = None
) -> None:
    """Revoke ``tenant_id``'s access to the owner's asset (NotFoundError if it had none); with ``actor``,
    recorded in the audit trail in the same commit."""
    get_asset(session, owner_id, asset_id)
    share = session.scalars(select(Share).where(Share.asset_id == asset_id, Share.tenant_id == tenant_id)).first()
    if share is None:
        session.rollback()
        raise NotFoundError(
            f"asset {asset_id} is not shared with {tenant_id}",
            code="share-not-found",
            params={"tenant": tenant_id[:64]},
        )
    session.delete(share)  # through the session, so the search index forgets the tenant in the same commit
    if actor is not None:
        record(session, actor, AuditAction.SHARE_REVOKE, target=asset_id, details={"tenant": tenant_id})
    emit_share(session, EventType.SHARE_REVOKED, get_asset(session, owner_id, asset_id), [tenant_id])
    session.commit()
