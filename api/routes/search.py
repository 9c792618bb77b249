"""/api/v1/search: Chinese newsroom search over the caller's assets, shots, markers and subtitles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.authz import require
from api.deps import CurrentPrincipal, CurrentTenant, SessionDep
from api.errors import problems
from mam.public import AssetStatus, FacetsPublic, HitPublic, SearchResponse, marked
from mam.public.values import CalendarDate
from mam.search import SORTS, SearchRequest, search

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/search", tags=["search"], dependencies=[require("asset:read")])


def _quoted(name: str, value: str | None) -> str:
    return f'{name}:"{value}"' if value else ""


@router.get(
    "",
    response_model=SearchResponse,
    responses=problems(404, (422, "an invalid parameter (listed in `errors`), or a query that cannot be understood")),
)
def search_assets(
    session: SessionDep,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    q: Annotated[
        str,
        Query(
            description='words, "phrases", programme:/tag:/reporter:/place:/title: filters, speech:yes/no; pinyin too'
        ),
    ] = "",
    programme: Annotated[str | None, Query(description="栏目 contains")] = None,
    tag: Annotated[str | None, Query()] = None,
    reporter: Annotated[str | None, Query()] = None,
    status: Annotated[AssetStatus | None, Query()] = None,
    media_type: Annotated[str | None, Query(alias="type", pattern="^(video|audio|image)$")] = None,
    date_from: Annotated[CalendarDate | None, Query(description="shoot date on or after (YYYY-MM-DD)")] = None,
    date_to: Annotated[CalendarDate | None, Query(description="shoot date on or before (YYYY-MM-DD)")] = None,
    duration_min: Annotated[float | None, Query(ge=0, description="seconds")] = None,
    duration_max: Annotated[float | None, Query(ge=0, description="seconds")] = None,
    speech: Annotated[
        bool | None, Query(description="true: the analysis heard speech (speech:yes); false: it heard none")
    ] = None,
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
    if speech is not None:
        text = f"{text} speech:{'yes' if speech else 'no'}".strip()
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
        items=[marked(HitPublic.of(h), tenant, principal) for h in result.hits],
        facets=FacetsPublic.of(result.facets) if result.facets else None,
    )
