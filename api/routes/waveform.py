"""/api/v1/assets/{id}/waveform: peaks of the asset's sound, for drawing its waveform."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.authz import require
from api.deps import CurrentTenant, ServicesDep, SessionDep
from api.errors import problems
from mam.public.waveform import WaveformPublic
from mam.waveform import asset_waveform

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/assets", tags=["analysis"], dependencies=[require("asset:read")])


@router.get(
    "/{asset_id}/waveform",
    response_model=WaveformPublic,
    name="get_waveform",
    responses=problems((404, "no such asset, or no proxy or radio rendition yet"), 422),
)
def get_waveform(
    asset_id: str,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    points: Annotated[int, Query(ge=16, le=20000, description="how many stretches to cut the sound in")] = 2000,
) -> WaveformPublic:
    """The loudest sample of each of ``points`` equal stretches of the sound (read from the proxy, else
    the radio rendition; an hour of sound is a few seconds to read the first time, then kept)."""
    return WaveformPublic.of(asset_waveform(services, session, tenant, asset_id, points))
