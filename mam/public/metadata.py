"""Descriptive metadata (编目) as a client sees it: custom field definitions, spans and subtitle cues."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from mam import limits
from mam.models import FieldDefinition, FieldKind, Span, SpanKind, SubtitleCue
from mam.public.timecode import timecode
from mam.public.values import Flag, Number, WholeNumber

__all__ = ["CuePublic", "FieldIn", "FieldPublic", "ImportResult", "SpanCreate", "SpanIn", "SpanPublic"]


class FieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FieldKind = Field(description="text, keyword, number, date or enum")
    label: str = ""
    options: list[str] = Field(default_factory=list, description="the allowed values of an enum")
    required: Flag = False


class FieldPublic(FieldIn):
    name: str

    @classmethod
    def of(cls, d: FieldDefinition) -> FieldPublic:
        return cls(name=d.name, kind=FieldKind(d.kind), label=d.label, options=d.options, required=d.required)


class SpanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SpanKind = Field(description="segment, shot or marker")
    start: Number | None = Field(None, ge=0, description="in point, seconds from the start of the asset")
    end: Number | None = Field(None, ge=0, description="out point, seconds")
    title: str = Field("", max_length=limits.MAX_TITLE_CHARS)
    note: str = Field("", max_length=limits.MAX_DESCRIPTION_CHARS)
    tags: list[Annotated[str, Field(max_length=limits.MAX_TAG_CHARS)]] = Field(
        default_factory=list, max_length=limits.MAX_TAGS
    )


class SpanCreate(SpanIn):
    shot: WholeNumber | None = Field(
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
            kind=SpanKind(s.kind),
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
