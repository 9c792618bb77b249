"""/api/v1/share-targets: the centres an asset can be shared with, for a person to pick by name."""

from __future__ import annotations

from fastapi import APIRouter

from api.authz import require
from api.deps import CurrentTenant, SessionDep
from api.errors import problems
from mam.public import ShareTarget
from mam.share_targets import list_share_targets

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/share-targets", tags=["shares"], dependencies=[require("share:manage")])


@router.get("", response_model=list[ShareTarget], name="list_share_targets", responses=problems(404))
def share_targets(session: SessionDep, tenant: CurrentTenant) -> list[ShareTarget]:
    """Every other tenant (id and name): what ``POST /api/v1/assets/{id}/shares`` accepts."""
    return [ShareTarget.of(t) for t in list_share_targets(session, tenant)]
