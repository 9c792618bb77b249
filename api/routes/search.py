"""/api/v1/search: Chinese newsroom search over the caller's assets, shots, markers and subtitles."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import CurrentTenant, SessionDep
from api.schemas import AssetSummary
from mam.search import SORTS, Facets, SearchHit, SearchRequest, search

__all__ = ["SearchResponse", "marked", "router", "timecode"]

router = APIRouter(prefix="/api/v1/search", tags=["search"])


def timecode(seconds: float | None) -> str | None:
    """``HH:MM:SS.mmm`` for a time in seconds."""
    if seconds is None:
        return None
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


class InnerHitPublic(BaseModel):
    kind: str = Field(description="segment, shot, marker or subtitle")
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
                    kind=i.kind,
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
        def counts(values: Any) -> list[FacetCount]:
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


def marked(hit: HitPublic, tenant: str) -> HitPublic:
    """Say whether the hit is shared with the caller (owned by another tenant, read-only)."""
    hit.asset.shared = hit.asset.owner != tenant
    return hit


def _quoted(name: str, value: str | None) -> str:
    return f'{name}:"{value}"' if value else ""


@router.get("", response_model=SearchResponse)
def run_search(
    session: SessionDep,
    tenant: CurrentTenant,
    q: Annotated[
        str, Query(description='words, "phrases", programme:/tag:/reporter:/place:/title: filters; pinyin too')
    ] = "",
    programme: Annotated[str | None, Query(description="栏目 contains")] = None,
    tag: Annotated[str | None, Query()] = None,
    reporter: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query(pattern="^(processing|ready|failed)$")] = None,
    media_type: Annotated[str | None, Query(alias="type", pattern="^(video|audio|image)$")] = None,
    date_from: Annotated[date | None, Query(description="shoot date on or after")] = None,
    date_to: Annotated[date | None, Query(description="shoot date on or before")] = None,
    duration_min: Annotated[float | None, Query(ge=0, description="seconds")] = None,
    duration_max: Annotated[float | None, Query(ge=0, description="seconds")] = None,
    sort: Annotated[
        str,
        Query(
            pattern="^(" + "|".join(SORTS) + ")$",
            description="relevance (title hits and exact phrases first, then newest), newest, oldest, "
            "shoot_date or duration (largest first, assets without one last)",
        ),
    ] = "relevance",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    facets: Annotated[bool, Query(description="count programme, tags, media type and shoot month")] = True,
) -> SearchResponse:
    text = " ".join(
        p for p in (q, _quoted("programme", programme), _quoted("tag", tag), _quoted("reporter", reporter)) if p
    )
    result = search(
        session,
        tenant,
        SearchRequest(
            q=text,
            status=status,
            media_type=media_type,
            date_from=date_from,
            date_to=date_to,
            duration_min=duration_min,
            duration_max=duration_max,
            sort=sort,
            limit=limit,
            offset=offset,
            cursor=cursor,
            facets=facets,
        ),
    )
    return SearchResponse(
        total=result.total,
        total_is_estimate=result.total_is_estimate,
        facets_over=result.facets_over,
        limit=result.limit,
        offset=result.offset,
        next_cursor=result.next_cursor,
        items=[marked(HitPublic.of(h), tenant) for h in result.hits],
        facets=FacetsPublic.of(result.facets) if result.facets else None,
    )
