"""On-screen text as a client sees it: the lines the analysis read in the picture, with timecodes."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, Field

from mam.models import ScreenTextLine
from mam.public.timecode import timecode

__all__ = ["ScreenTextLinePublic", "ScreenTextList", "TextRegion"]


class TextRegion(StrEnum):
    """Where a line stood: a centred line at the bottom (字幕), the lower part off centre (name
    straps, headline bars), or anywhere else."""

    SUBTITLE = "subtitle"
    STRAP = "strap"
    OTHER = "other"


class ScreenTextLinePublic(BaseModel):
    id: str
    start: float = Field(description="seconds from the start of the asset: the first sample the line was seen in")
    end: float = Field(description="seconds: the first sample it was gone in (or the end of the asset)")
    start_tc: str | None
    end_tc: str | None
    text: str
    region: TextRegion
    confidence: float = Field(description="the recogniser's confidence, 0 to 1")
    box: list[float] = Field(description="left, top, right, bottom as fractions of the picture's width and height")

    @classmethod
    def of(cls, line: ScreenTextLine) -> ScreenTextLinePublic:
        return cls(
            id=line.id,
            start=line.start,
            end=line.end,
            start_tc=timecode(line.start),
            end_tc=timecode(line.end),
            text=line.text,
            region=TextRegion(line.region),
            confidence=line.confidence,
            box=list(line.box),
        )


class ScreenTextList(BaseModel):
    asset_id: str
    total: int
    lines: list[ScreenTextLinePublic]

    @classmethod
    def of(cls, asset_id: str, lines: Sequence[ScreenTextLine]) -> ScreenTextList:
        return cls(asset_id=asset_id, total=len(lines), lines=[ScreenTextLinePublic.of(line) for line in lines])
