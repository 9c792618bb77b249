"""Custom field definitions (/api/v1/fields), and spans and subtitles of an asset (编目)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentTenant, SessionDep
from api.routes.search import timecode
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
from mam.models import FieldDefinition, Span, SubtitleCue

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["metadata"])


class FieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="text, keyword, number, date or enum")
    label: str = ""
    options: list[str] = Field(default_factory=list, description="the allowed values of an enum")
    required: bool = False


class FieldPublic(FieldIn):
    name: str

    @classmethod
    def of(cls, d: FieldDefinition) -> FieldPublic:
        return cls(name=d.name, kind=d.kind, label=d.label, options=d.options, required=d.required)


class SpanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="segment, shot or marker")
    start: float | None = Field(None, ge=0, description="in point, seconds from the start of the asset")
    end: float | None = Field(None, ge=0, description="out point, seconds")
    title: str = Field("", max_length=500)
    note: str = Field("", max_length=100_000)
    tags: list[str] = Field(default_factory=list)


class SpanCreate(SpanIn):
    shot: int | None = Field(
        None, ge=1, description="number of a shot the analysis detected: its in and out points are used"
    )


class SpanPublic(SpanIn):
    id: str
    start: float
    start_tc: str | None
    end_tc: str | None

    @classmethod
    def of(cls, s: Span) -> SpanPublic:
        return cls(
            id=s.id,
            kind=s.kind,
            start=s.start,
            end=s.end,
            start_tc=timecode(s.start),
            end_tc=timecode(s.end),
            title=s.title,
            note=s.note,
            tags=s.tags,
        )


class CuePublic(BaseModel):
    id: str
    track: str
    position: int
    start: float
    end: float
    start_tc: str | None
    end_tc: str | None
    text: str

    @classmethod
    def of(cls, c: SubtitleCue) -> CuePublic:
        return cls(
            id=c.id,
            track=c.track,
            position=c.position,
            start=c.start,
            end=c.end,
            start_tc=timecode(c.start),
            end_tc=timecode(c.end),
            text=c.text,
        )


class ImportResult(BaseModel):
    asset_id: str
    track: str
    cues: int


@router.get("/fields", response_model=list[FieldPublic])
def fields(session: SessionDep, tenant: CurrentTenant) -> list[FieldPublic]:
    return [FieldPublic.of(d) for d in list_fields(session, tenant)]


@router.put("/fields/{name}", response_model=FieldPublic)
def put_field(name: str, body: FieldIn, session: SessionDep, tenant: CurrentTenant) -> FieldPublic:
    definition = define_field(session, tenant, name, body.kind, body.label, body.options, body.required)
    return FieldPublic.of(definition)


@router.delete("/fields/{name}", status_code=204)
def remove_field(name: str, session: SessionDep, tenant: CurrentTenant) -> None:
    delete_field(session, tenant, name)


@router.get("/assets/{asset_id}/spans", response_model=list[SpanPublic])
def spans(asset_id: str, session: SessionDep, tenant: CurrentTenant, kind: str | None = None) -> list[SpanPublic]:
    return [SpanPublic.of(s) for s in list_spans(session, tenant, asset_id, kind)]


@router.post("/assets/{asset_id}/spans", response_model=SpanPublic, status_code=201)
def post_span(asset_id: str, body: SpanCreate, session: SessionDep, tenant: CurrentTenant) -> SpanPublic:
    span = add_span(
        session, tenant, asset_id, body.kind, body.start, body.end, body.title, body.note, body.tags, body.shot
    )
    return SpanPublic.of(span)


@router.delete("/assets/{asset_id}/spans/{span_id}", status_code=204)
def remove_span(asset_id: str, span_id: str, session: SessionDep, tenant: CurrentTenant) -> None:
    delete_span(session, tenant, asset_id, span_id)


@router.get("/assets/{asset_id}/subtitles", response_model=list[CuePublic])
def subtitles(asset_id: str, session: SessionDep, tenant: CurrentTenant, track: str | None = None) -> list[CuePublic]:
    return [CuePublic.of(c) for c in list_cues(session, tenant, asset_id, track)]


@router.post("/assets/{asset_id}/subtitles", response_model=ImportResult, status_code=201)
async def post_subtitles(
    asset_id: str,
    session: SessionDep,
    tenant: CurrentTenant,
    file: Annotated[UploadFile, File(description="an SRT or WebVTT file (UTF-8)")],
    track: Annotated[str, Form(description="track name, e.g. a language; replaces its cues")] = "",
) -> ImportResult:
    raw = await file.read(20 * 1024 * 1024 + 1)
    if len(raw) > 20 * 1024 * 1024:
        raise MetadataError("subtitle files are at most 20 MiB")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            content = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise MetadataError("the subtitle file is neither UTF-8 nor GB18030 text") from exc
    count = import_subtitles(session, tenant, asset_id, content, track)
    return ImportResult(asset_id=asset_id, track=track, cues=count)
