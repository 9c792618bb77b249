"""/api/v1/assets/{id}/shots, /qc, /storyboard, /text: what the analysis of an asset found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.authz import require
from api.deps import CurrentTenant, ServicesDep, SessionDep
from api.errors import problems
from api.files import serve_stored
from mam.catalog import get_analysis, list_shots
from mam.errors import NotFoundError
from mam.public import QcReport, ShotList, SpeechPublic
from transcode.analysis.qc import judge
from transcode.errors import ProfileError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/assets", tags=["analysis"], dependencies=[require("asset:read")])


def _file(media_type: str) -> dict[str, Any]:
    return {"description": "the file", "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}


@router.get("/{asset_id}/shots", response_model=ShotList, name="list_shots", responses=problems(404))
def shots(asset_id: str, session: SessionDep, tenant: CurrentTenant) -> ShotList:
    """Shots with frame numbers, times, timecodes, how each begins, and its keyframe."""
    _, analysis = get_analysis(session, tenant, asset_id)
    return ShotList.of(analysis, list_shots(session, asset_id))


@router.get("/{asset_id}/qc", response_model=QcReport, responses=problems(404, (422, "an unknown QC profile")))
def get_qc_report(
    asset_id: str,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    profile: Annotated[str | None, Query(description="judge against this QC profile instead")] = None,
) -> QcReport:
    """The technical QC (技审) report: a verdict and pass / warn / fail per check, with the measurements."""
    _, analysis = get_analysis(session, tenant, asset_id)
    report = analysis.qc
    if profile is not None and profile != analysis.qc_profile:
        if profile not in services.qc_profiles:
            raise ProfileError(f"unknown QC profile {profile!r}; available: {', '.join(sorted(services.qc_profiles))}")
        report = judge(analysis.measurements, services.qc_profiles[profile])
    return QcReport.of(asset_id, report, analysis.measurements)


@router.get("/{asset_id}/speech", response_model=SpeechPublic, name="get_speech", responses=problems(404))
def get_speech(asset_id: str, session: SessionDep, tenant: CurrentTenant) -> SpeechPublic:
    """Speech, other sound (music, ambience) and silence along the asset, with timecodes, for its timeline."""
    _, analysis = get_analysis(session, tenant, asset_id)
    return SpeechPublic.of(analysis)


@router.get(
    "/{asset_id}/storyboard.vtt",
    response_class=Response,
    responses={200: _file("text/vtt"), **problems(400, 404, 416, 503)},
)
def get_storyboard(asset_id: str, session: SessionDep, services: ServicesDep, tenant: CurrentTenant) -> Response:
    """A WebVTT thumbnails track; its cues point at ``storyboard/N.jpg#xywh=...`` beside it."""
    _, analysis = get_analysis(session, tenant, asset_id)
    return serve_stored(services, f"{analysis.storage_prefix}/storyboard.vtt", "text/vtt", "storyboard.vtt")


@router.get(
    "/{asset_id}/storyboard/{number}.jpg",
    response_class=Response,
    responses={200: _file("image/jpeg"), **problems(400, 404, 416, 422, 503)},
)
def get_storyboard_sheet(
    asset_id: str, number: int, session: SessionDep, services: ServicesDep, tenant: CurrentTenant
) -> Response:
    _, analysis = get_analysis(session, tenant, asset_id)
    if not 0 <= number < analysis.storyboard_sheets:
        raise NotFoundError(f"asset {asset_id} has {analysis.storyboard_sheets} storyboard sheet(s)")
    return serve_stored(services, f"{analysis.storage_prefix}/storyboard/{number}.jpg", "image/jpeg", f"{number}.jpg")


@router.get(
    "/{asset_id}/shots/{number}/keyframe.jpg",
    response_class=Response,
    responses={200: _file("image/jpeg"), **problems(400, 404, 416, 422, 503)},
)
def get_shot_keyframe(
    asset_id: str, number: int, session: SessionDep, services: ServicesDep, tenant: CurrentTenant
) -> Response:
    get_analysis(session, tenant, asset_id)
    shot = next((s for s in list_shots(session, asset_id) if s.number == number), None)
    if shot is None or shot.keyframe_key is None:
        raise NotFoundError(f"asset {asset_id} has no keyframe for shot {number}")
    return serve_stored(services, shot.keyframe_key, "image/jpeg", f"shot-{number}.jpg")


@router.get(
    "/{asset_id}/analysis/poster.jpg",
    response_class=Response,
    responses={200: _file("image/jpeg"), **problems(400, 404, 416, 503)},
)
def get_analysis_poster(asset_id: str, session: SessionDep, services: ServicesDep, tenant: CurrentTenant) -> Response:
    _, analysis = get_analysis(session, tenant, asset_id)
    if analysis.poster_key is None:
        raise NotFoundError(f"asset {asset_id} has no analysis poster")
    return serve_stored(services, analysis.poster_key, "image/jpeg", "poster.jpg")
