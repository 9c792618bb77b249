"""/api/v1/assets/{id}/shares: the owner grants other tenants read access to an asset, or revokes it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.actor import CurrentActor
from api.authz import require
from api.deps import CurrentTenant, SessionDep
from api.errors import problems
from mam.public import ShareCreate, SharePublic
from mam.sharing import list_shares, share_asset, unshare_asset

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/assets/{asset_id}/shares", tags=["shares"], dependencies=[require("share:manage")])

_OWNER_ONLY = (403, "the asset is shared with the caller, who does not own it")


@router.get("", response_model=list[SharePublic], name="list_shares", responses=problems(_OWNER_ONLY, 404))
def shares(asset_id: str, session: SessionDep, tenant: CurrentTenant) -> list[SharePublic]:
    return [SharePublic.of(s) for s in list_shares(session, tenant, asset_id)]


@router.post(
    "",
    response_model=list[SharePublic],
    name="share_asset",
    responses=problems(_OWNER_ONLY, 404, (422, "no tenant, an unknown tenant, or the owner itself")),
)
def share(
    asset_id: str, body: ShareCreate, session: SessionDep, tenant: CurrentTenant, actor: CurrentActor
) -> list[SharePublic]:
    """Share the caller's asset with these tenants (idempotent); returns every share of the asset."""
    return [SharePublic.of(s) for s in share_asset(session, tenant, asset_id, body.tenants, actor=actor)]


@router.delete(
    "/{tenant_id}",
    status_code=204,
    name="unshare_asset",
    responses=problems(_OWNER_ONLY, (404, "no such asset, or not shared with that tenant")),
)
def unshare(asset_id: str, tenant_id: str, session: SessionDep, tenant: CurrentTenant, actor: CurrentActor) -> Response:
    unshare_asset(session, tenant, asset_id, tenant_id, actor=actor)
    return Response(status_code=204)
