"""Custom field definitions (/api/v1/fields), and spans and subtitles of an asset (编目)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.authz import require
from api.deps import CurrentTenant, SessionDep
from api.errors import problems
from mam.errors import MetadataError
from mam.metadata import (
    add_span,
    define_field,
    delete_field,
    delete_span,
    import_subtitles,
    list_cues,
    list_fields,
    list_spans,
)
from mam.public import CuePublic, FieldIn, FieldPublic, ImportResult, SpanCreate, SpanPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["metadata"])


_READ, _EDIT, _FIELDS = [require("asset:read")], [require("asset:edit")], [require("field:manage")]


@router.get(
    "/fields", response_model=list[FieldPublic], name="list_fields", responses=problems(404), dependencies=_READ
)
def fields(session: SessionDep, tenant: CurrentTenant) -> list[FieldPublic]:
    return [FieldPublic.of(d) for d in list_fields(session, tenant)]


@router.put(
    "/fields/{name}",
    response_model=FieldPublic,
    name="define_field",
    responses=problems(404, 422),
    dependencies=_FIELDS,
)
def put_field(name: str, body: FieldIn, session: SessionDep, tenant: CurrentTenant) -> FieldPublic:
    definition = define_field(session, tenant, name, body.kind, body.label, body.options, body.required)
    return FieldPublic.of(definition)


@router.delete("/fields/{name}", status_code=204, name="delete_field", responses=problems(404), dependencies=_FIELDS)
def remove_field(name: str, session: SessionDep, tenant: CurrentTenant) -> None:
    delete_field(session, tenant, name)


@router.get(
    "/assets/{asset_id}/spans",
    response_model=list[SpanPublic],
    name="list_spans",
    responses=problems(404),
    dependencies=_READ,
)
def spans(asset_id: str, session: SessionDep, tenant: CurrentTenant, kind: str | None = None) -> list[SpanPublic]:
    return [SpanPublic.of(s) for s in list_spans(session, tenant, asset_id, kind)]


@router.post(
    "/assets/{asset_id}/spans",
    response_model=SpanPublic,
    status_code=201,
    name="add_span",
    responses=problems(403, 404, 422),
    dependencies=_EDIT,
)
def post_span(asset_id: str, body: SpanCreate, session: SessionDep, tenant: CurrentTenant) -> SpanPublic:
    span = add_span(
        session, tenant, asset_id, body.kind, body.start, body.end, body.title, body.note, body.tags, body.shot
    )
    return SpanPublic.of(span)


@router.delete(
    "/assets/{asset_id}/spans/{span_id}",
    status_code=204,
    name="delete_span",
    responses=problems(403, 404),
    dependencies=_EDIT,
)
def remove_span(asset_id: str, span_id: str, session: SessionDep, tenant: CurrentTenant) -> None:
    delete_span(session, tenant, asset_id, span_id)


@router.get("/assets/{asset_id}/subtitles", response_model=list[CuePublic], responses=problems(404), dependencies=_READ)
def list_subtitles(
    asset_id: str, session: SessionDep, tenant: CurrentTenant, track: str | None = None
) -> list[CuePublic]:
    return [CuePublic.of(c) for c in list_cues(session, tenant, asset_id, track)]


@router.post(
    "/assets/{asset_id}/subtitles",
    response_model=ImportResult,
    status_code=201,
    name="import_subtitles",
    responses=problems(403, 404, (413, "larger than 20 MiB"), 422),
    dependencies=_EDIT,
)
async def post_subtitles(
    asset_id: str,
    session: SessionDep,
    tenant: CurrentTenant,
    file: Annotated[UploadFile, File(description="an SRT or WebVTT file (UTF-8)")],
    track: Annotated[str, Form(description="track name, e.g. a language; replaces its cues")] = "",
) -> ImportResult:
    raw = await file.read(20 * 1024 * 1024 + 1)
    if len(raw) > 20 * 1024 * 1024:
        raise MetadataError("subtitle files are at most 20 MiB", code="subtitle-too-large", params={"limit_mib": 20})
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            content = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise MetadataError(
                "the subtitle file is neither UTF-8 nor GB18030 text", code="subtitle-encoding"
            ) from exc
    count = import_subtitles(session, tenant, asset_id, content, track)
    return ImportResult(asset_id=asset_id, track=track, cues=count)
