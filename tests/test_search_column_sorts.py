"""A shoot date or duration sort walks the entries in the column's order and stops once the page is
full, or sorts every match when there are few (mam/search/columns.py ``column_page``); either way
it finds exactly what scoring and sorting every match by the sort's SQL order finds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import catalog_asset
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from mam.models import Span
from mam.search import SearchRequest, columns, search, sqlite_backend
from mam.search.plan import Plan
from mam.services import Services

QUERIES = ["防汛", "会议", '"防汛抢险"', "防汛 会议", "programme:农业天地", "防汛 type:audio", "不存在", ""]


_ORDERS = {
    "shoot_date": "m.shoot_date DESC NULLS LAST, m.created_at DESC, m.asset_id",
    "duration": "m.duration DESC NULLS LAST, m.created_at DESC, m.asset_id",
}


def _sorted_by_sql(plan: Plan, session: Session, sort: str, need: int) -> list[str]:
    """The reference: every match read, scored and sorted in SQL (mam/search/engine.py SORTS)."""
    plan.settings.reset()  # the planner's own choice of scans
    b = plan.backend
    # Visibility is part of the match, as on the walked path (mam/search/walk.py).
    params: dict[str, Any] = {**plan.params, "need": need}
    conditions = [c.replace("e.asset_id", "a.id") for c in plan.conditions]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    match, found = plan.match_sql(plan.base, "q")
    params |= found
    if plan.text is None:
        ranked = f"SELECT e.asset_id, 0 AS score FROM search_entries e WHERE {match}"
    else:
        score = "0"
        for param, expr, weight in (("tq", plan.title, 2), ("pq", plan.phrase, 1)):
            if expr is not None:
                params[param] = b.render(expr)
                score += f" + CASE WHEN {b.matches('e', param)} THEN {weight} ELSE 0 END"
        ranked = f"SELECT e.asset_id, MAX({score}) AS score FROM search_entries e WHERE {match} GROUP BY e.asset_id"
    sql = (
        f"WITH ranked AS ({ranked}), matched AS (SELECT r.asset_id, r.score, a.created_at, a.shoot_date, "
        f"a.duration FROM ranked r JOIN assets a ON a.id = r.asset_id{where}) "
        f"SELECT m.asset_id, m.score FROM matched m ORDER BY {_ORDERS[sort]} LIMIT :need"
    )
    return [a for a, _ in session.execute(text(sql), params)]


def _catalogue(services: Services) -> None:
    """48 assets: few shoot dates and durations (many ties), some without either; groups of three
    created within one millisecond (ties that only the exact creation time breaks); some found by a
    marker as well as their own words (several entries per asset)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    titles = ("防汛抢险会议", "会议纪要", "防汛检查", "抢险防汛")
    with services.session() as session:
        for n in range(48):
            asset = catalog_asset(services.settings.default_tenant, n, f"{titles[n % 4]} {n}")
            asset.created_at = start + timedelta(milliseconds=n // 3, microseconds=(n * 7) % 3)
            asset.shoot_date = None if n % 7 == 0 else date(2024, 1, 1) + timedelta(days=n % 3)
            asset.duration = None if n % 5 == 0 else float(n % 4) * 30
            asset.media_kind = "audio" if n % 2 else "video"
            asset.programme = "农业天地" if n % 3 == 0 else "新闻联播"
            session.add(asset)
            session.flush()
            if n % 4 == 1:
                session.add(Span(asset_id=asset.id, kind="marker", start=1.0, end=2.0, title="防汛会议现场"))
        session.commit()
    if services.engine.dialect.name == "postgresql":
        with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE search_entries"))


def _pages(services: Services) -> dict[tuple[str, str, int], Any]:
    out = {}
    with services.session() as session:
        for q in QUERIES:
            for sort in ("shoot_date", "duration"):
                for offset, limit in ((0, 5), (5, 5), (0, 50)):
                    r = search(session, "default", SearchRequest(q=q, sort=sort, offset=offset, limit=limit))
                    hits = [(h.asset.id, h.score, [i.ref_id for i in h.inner]) for h in r.hits]
                    out[(q, sort, offset)] = (hits, r.next_cursor is not None, r.total, r.facets)
    return out


def test_the_walk_in_column_order_finds_what_sorting_every_match_finds(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(services)
    walks: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if re.search(r"(shoot_date|duration) DESC, (e\.)?id DESC", statement):
            walks.append(statement)

    event.listen(services.engine, "before_cursor_execute", seen)
    try:
        walked = _pages(services)
        assert walks  # the walk ran
        monkeypatch.setattr(columns, "column_page", _sorted_by_sql)
        walks.clear()
        sorted_all = _pages(services)
        assert not walks
    finally:
        event.remove(services.engine, "before_cursor_execute", seen)
    assert walked == sorted_all
    hits, _, total, _ = sorted_all[("", "shoot_date", 0)]
    assert total == 48 and len(hits) == 48
    monkeypatch.setattr(columns, "column_page", _COLUMN_PAGE)

    # Reading entries in the column's order and testing each, or every match (on PostgreSQL
    # through GIN, a phrase loosened there and checked on the rows in order): the same pages.
    for walked_first in (True, False):
        if services.engine.dialect.name == "postgresql":
            monkeypatch.setattr(Plan, "rows_first", lambda *_, first=walked_first: first)
        else:
            monkeypatch.setattr(sqlite_backend, "SPARSE", 0 if walked_first else 1_000_000)
        assert _pages(services) == sorted_all


_COLUMN_PAGE = columns.column_page


@pytest.mark.parametrize("sparse", [0, 1_000_000])
def test_a_page_cut_inside_a_millisecond_of_ties_reads_on_to_the_group_end(
    services: Services, sparse: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seventy assets created in one millisecond, the same date, the later created the earlier
    indexed: a first read of fewer rows than the group holds is read again, larger, so the page's
    order is exact."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(sqlite_backend, "SPARSE", sparse)  # SQLite: the walk (0) or every match sorted
    with services.session() as session:
        for n in range(70):  # more than the first read of 32 rows, all in one millisecond
            asset = catalog_asset(services.settings.default_tenant, n, f"防汛 {n}")
            asset.created_at, asset.shoot_date = start + timedelta(microseconds=69 - n), date(2024, 5, 1)
            session.add(asset)
        session.commit()
    with services.session() as session:
        found = search(session, "default", SearchRequest(q="防汛", sort="shoot_date", limit=3))
    # Newest first by the exact creation time.
    assert [h.asset.title for h in found.hits] == ["防汛 0", "防汛 1", "防汛 2"]
