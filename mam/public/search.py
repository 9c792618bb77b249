"""Search answers as a client sees them: hits with their inner matches, facets, paging."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mam.public.assets import AssetSummary
from mam.public.timecode import timecode
from mam.search import Facets, FacetValue, SearchHit

if TYPE_CHECKING:
    from mam.identity.principal import Principal

__all__ = ["FacetCount", "FacetsPublic", "HitPublic", "InnerHitKind", "InnerHitPublic", "SearchResponse", "marked"]


class InnerHitKind(StrEnum):
    """What matched inside an asset: a catalogued span (segment, shot, marker), a subtitle line, or a
    line of on-screen text the analysis read (``screen_text``)."""

    SEGMENT = "segment"
    SHOT = "shot"
    MARKER = "marker"
    SUBTITLE = "subtitle"
    SCREEN_TEXT = "screen_text"


class InnerHitPublic(BaseModel):
    kind: InnerHitKind
    id: str
    start: float | None
    end: float | None
    start_tc: str | None
    end_tc: str | None
    snippet: str | None = Field(description="matched words in <mark>, HTML-escaped")


class HitPublic(BaseModel):
    asset: AssetSummary
    programme: str
    reporter: str
    place: str
    shoot_date: date | None
    score: int = Field(description="2 when every word is in the title, +1 for the query as an exact phrase")
    snippet: str | None
    inner_hits: list[InnerHitPublic]
    inner_total: int

    @classmethod
    def of(cls, hit: SearchHit) -> HitPublic:
        a = hit.asset
        return cls(
            asset=AssetSummary.of(a),
            programme=a.programme,
            reporter=a.reporter,
            place=a.place,
            shoot_date=a.shoot_date,
            score=hit.score,
            snippet=hit.snippet,
            inner_hits=[
                InnerHitPublic(
                    kind=InnerHitKind(i.kind),
                    id=i.ref_id,
                    start=i.start,
                    end=i.end,
                    start_tc=timecode(i.start),
                    end_tc=timecode(i.end),
                    snippet=i.snippet,
                )
                for i in hit.inner
            ],
            inner_total=hit.inner_total,
        )


class FacetCount(BaseModel):
    value: str
    count: int


class FacetsPublic(BaseModel):
    programme: list[FacetCount]
    tags: list[FacetCount]
    media_type: list[FacetCount]
    shoot_month: list[FacetCount]

    @classmethod
    def of(cls, facets: Facets) -> FacetsPublic:
        def counts(values: Iterable[FacetValue]) -> list[FacetCount]:
            return [FacetCount(value=v.value, count=v.count) for v in values]

        return cls(
            programme=counts(facets.programme),
            tags=counts(facets.tags),
            media_type=counts(facets.media_type),
            shoot_month=counts(facets.shoot_month),
        )


class SearchResponse(BaseModel):
    total: int = Field(description="matching assets; an estimate when total_is_estimate")
    total_is_estimate: bool = Field(
        description="true when more than 1,000 entries matched: total is then estimated from the newest 1,000"
    )
    facets_over: int | None = Field(
        description="how many matching assets the facets count: all of them, or the most recent ones when "
        "total_is_estimate"
    )
    limit: int
    offset: int
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
    items: list[HitPublic]
    facets: FacetsPublic | None


def marked(hit: HitPublic, tenant: str, principal: Principal | None = None) -> HitPublic:
    """Say whether the hit is shared with the caller (owned by another tenant, read-only), and keep of its
    renditions those ``principal`` may read."""
    if principal is not None:
        hit.asset = hit.asset.seen_by(principal)
    hit.asset.shared = hit.asset.owner != tenant
    return hit
