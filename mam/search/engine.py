"""Run a search: match entries, rank assets, filter, sort, page, count facets, cut snippets.

Ranking is a small set of tiers computed the same way on both backends, so SQLite and PostgreSQL
return the same hits in the same order: every query word in a title (+2), the whole query as one
exact phrase (+1); ties go to the newest asset. An asset ranks by its best entry (its metadata, a
span, or a subtitle line); entries inside the asset come back as inner hits with their timecodes.
The page is found by walking the index newest first, tier by tier, and stopping when it is full
(mam/search/walk.py; sorts by a column: columns.py); the total is exact up to sample.SAMPLE matching
entries and estimated above (sample.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import mam.search.columns as columns
import mam.search.sample as sample
import mam.search.walk as walk
from mam.errors import SearchError
from mam.models import Asset, ScreenTextLine, Span, SubtitleCue
from mam.search.backends import backend_for
from mam.search.facets import Facets, facets_from_counts
from mam.search.plan import Plan
from mam.search.query import ParsedQuery, parse_query
from mam.search.snippets import snippet

__all__ = ["SORTS", "InnerHit", "SearchHit", "SearchRequest", "SearchResult", "search"]

SORTS = ("relevance", "newest", "oldest", "shoot_date", "duration")
"""relevance: the best score (title holds every word +2, the whole query as an exact phrase +1);
newest and oldest: creation time; shoot_date and duration: largest first, assets without one last.
Ties go to the newest asset, then the smaller asset id (mam/search/walk.py and columns.py walk each order)."""
INNER_HITS = 5


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    status: str | None = None
    media_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    duration_min: float | None = None
    duration_max: float | None = None
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0
    cursor: str | None = None
    facets: bool = True


@dataclass(frozen=True)
class InnerHit:
    kind: str  # segment | shot | marker | subtitle | screen_text
    ref_id: str
    start: float | None
    end: float | None
    snippet: str | None


@dataclass(frozen=True)
class SearchHit:
    asset: Asset
    score: int
    snippet: str | None
    inner: list[InnerHit]
    inner_total: int


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int
    limit: int
    offset: int
    next_cursor: str | None
    facets: Facets | None = None
    query: dict[str, Any] = field(default_factory=dict)
    total_is_estimate: bool = False
    """True when ``total`` was estimated from the first sample.SAMPLE matching entries, not counted."""
    facets_over: int | None = None
    """How many matching assets the facets counted: all of them unless ``total_is_estimate``."""


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        offset = int(json.loads(raw)["o"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise SearchError(f"cursor {cursor!r} is not one this API gave out") from exc
    if offset < 0:
        raise SearchError(f"cursor {cursor!r} is not one this API gave out")
    return offset


def _merge(request: SearchRequest, parsed: ParsedQuery) -> ParsedQuery:
    """Filters given as parameters win over the same filters written in the query."""
    for name in ("status", "media_type", "date_from", "date_to", "duration_min", "duration_max"):
        value = getattr(request, name)
        if value is not None:
            setattr(parsed, name, value)
    return parsed


def search(session: Session, tenant_id: str, request: SearchRequest) -> SearchResult:
    """Search the assets ``tenant_id`` may see. Raises SearchError for a malformed query or cursor.

    The query and cursor are read before any statement runs; the plan's planner settings last for
    the search only (:meth:`Plan.prepared`), however it ends."""
    if request.sort not in SORTS:
        raise SearchError(f"sort must be one of {', '.join(SORTS)}, not {request.sort!r}")
    parsed = _merge(request, parse_query(request.q))
    offset = _decode_cursor(request.cursor) if request.cursor else request.offset
    plan = Plan(backend_for(session.get_bind().dialect.name), parsed, tenant_id)
    with plan.prepared(session):
        return _run(session, plan, parsed, request, offset)


def _run(session: Session, plan: Plan, parsed: ParsedQuery, request: SearchRequest, offset: int) -> SearchResult:
    need = offset + request.limit + 1  # one more than the page: is there a next page?
    if request.sort in ("relevance", "newest", "oldest"):
        ranked = walk.page(plan, session, request.sort, need)
        scored = request.sort == "relevance"  # the walk's tiers are the scores
    else:
        ranked, scored = [(asset_id, 0) for asset_id in columns.column_page(plan, session, request.sort, need)], False
    page = ranked[offset : offset + request.limit]
    ids = [asset_id for asset_id, _ in page]
    if not scored:
        scores = plan.scores(session, ids)
        page = [(asset_id, scores.get(asset_id, 0)) for asset_id in ids]
    found = sample.sample(plan, session, request.facets)
    assets = {
        a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(ids)).options(selectinload(Asset.renditions)))
    }
    inner = _inner_hits(session, plan, ids, parsed) if ids and plan.text is not None else {}
    hits = [
        SearchHit(
            asset=assets[asset_id],
            score=int(score),
            snippet=snippet(assets[asset_id].title, parsed.words)
            or snippet(assets[asset_id].description, parsed.words),
            inner=inner.get(asset_id, [])[:INNER_HITS],
            inner_total=len(inner.get(asset_id, [])),
        )
        for asset_id, score in page
    ]
    facets = facets_from_counts(found.counts) if request.facets else None
    more = len(ranked) > offset + request.limit
    total = max(found.total, offset + len(ids) + (1 if more else 0)) if found.estimated else found.total
    return SearchResult(
        hits=hits,
        total=total,
        limit=request.limit,
        offset=offset,
        next_cursor=_encode_cursor(offset + len(ids)) if more else None,
        facets=facets,
        total_is_estimate=found.estimated,
        facets_over=found.assets if request.facets else None,
    )


def _inner_hits(session: Session, plan: Plan, ids: list[str], parsed: ParsedQuery) -> dict[str, list[InnerHit]]:
    assert plan.text is not None
    entries = plan.entries(session, plan.text, ids, inside=True)
    entries.sort(key=lambda e: (e.asset_id, e.start if e.start is not None else float("inf"), e.ref_id))
    refs = [e.ref_id for e in entries]
    texts: dict[str, str] = {}
    for i in range(0, len(refs), 500):
        chunk = refs[i : i + 500]
        for span in session.scalars(select(Span).where(Span.id.in_(chunk))):
            texts[span.id] = " — ".join(p for p in (span.title, span.note) if p)
        for cue in session.scalars(select(SubtitleCue).where(SubtitleCue.id.in_(chunk))):
            texts[cue.id] = cue.text
        for line in session.scalars(select(ScreenTextLine).where(ScreenTextLine.id.in_(chunk))):
            texts[line.id] = line.text
    out: dict[str, list[InnerHit]] = {}
    for e in entries:
        body = texts.get(e.ref_id, "")
        out.setdefault(e.asset_id, []).append(
            InnerHit(e.kind, e.ref_id, e.start, e.end, snippet(body, parsed.words) or body[:80])
        )
    return out
