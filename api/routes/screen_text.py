"""/api/v1/assets/{id}/text (and .srt, .vtt): the on-screen text the analysis read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.authz import require
from api.deps import CurrentTenant, SessionDep
from api.errors import problems
from mam.public import ScreenTextList, TextRegion
from mam.screen_text import list_text, to_srt, to_vtt

__all__ = ["router"]

# Its own router beside analysis.py's (not nested in it: a nested router's routes keep their own path in
# the request scope, which the metrics label routes by).
router = APIRouter(prefix="/api/v1/assets", tags=["analysis"], dependencies=[require("asset:read")])

_Region = Annotated[TextRegion | None, Query(description="only the lines of this region")]


def _text(media_type: str) -> dict[str, Any]:
    return {"description": "the lines as cues", "content": {media_type: {"schema": {"type": "string"}}}}


@router.get("/{asset_id}/text", response_model=ScreenTextList, name="list_screen_text", responses=problems(404))
def screen_text(asset_id: str, session: SessionDep, tenant: CurrentTenant, region: _Region = None) -> ScreenTextList:
    """Lines of text seen in the picture (字幕, name straps, captions), in time order, with timecodes.
    Empty until a render job with on-screen text reading on (a profile's ``[analysis] ocr``, or
    ``MAM_OCR_TENANTS``) has analysed the asset's current original."""
    lines = list_text(session, tenant, asset_id, region.value if region else None)
    return ScreenTextList.of(asset_id, lines)


@router.get(
    "/{asset_id}/text.srt",
    response_class=Response,
    name="export_screen_text_srt",
    responses={200: _text("application/x-subrip"), **problems(404)},
)
def screen_text_srt(asset_id: str, session: SessionDep, tenant: CurrentTenant, region: _Region = None) -> Response:
    """The lines as SubRip cues (UTF-8)."""
    lines = list_text(session, tenant, asset_id, region.value if region else None)
    return Response(to_srt(lines), media_type="application/x-subrip; charset=utf-8")


@router.get(
    "/{asset_id}/text.vtt",
    response_class=Response,
    name="export_screen_text_vtt",
    responses={200: _text("text/vtt"), **problems(404)},
)
def screen_text_vtt(asset_id: str, session: SessionDep, tenant: CurrentTenant, region: _Region = None) -> Response:
    """The lines as WebVTT cues, each cue named by its region."""
    lines = list_text(session, tenant, asset_id, region.value if region else None)
    return Response(to_vtt(lines), media_type="text/vtt; charset=utf-8")
