"""PostgreSQL: a shoot date or duration sort walks the entries in the column's order and stops once
the page is full (mam/search/walk.py ``Plan.column_page``); it finds exactly what sorting every
match finds (the SQL of mam/search/engine.py, which SQLite uses), whichever way it reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import catalog_asset, make_settings
from sqlalchemy import event, text

from mam.models import Span
from mam.search import SearchRequest, search, walk
from mam.services import Services, open_services

QUERIES = ["防汛", "会议", '"防汛抢险"', "防汛 会议", "programme:农业天地", "防汛 type:audio", "不存在", ""]


@pytest.fixture
def pg(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    services = open_services(make_settings(tmp_path, MAM_DATABASE_URL=postgres_url))
    yield services
    services.close()


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
    pg: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(pg)
    walks: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "ORDER BY shoot_date DESC" in statement or "ORDER BY duration DESC" in statement:
            walks.append(statement)

    event.listen(pg.engine, "before_cursor_execute", seen)
    try:
        walked = _pages(pg)
        assert walks  # the walk ran
        monkeypatch.setattr(walk.Plan, "column_page", lambda *_: None)  # every match sorted, as on SQLite
        walks.clear()
        sorted_all = _pages(pg)
        assert not walks
    finally:
        event.remove(pg.engine, "before_cursor_execute", seen)
    assert walked == sorted_all
    # Ties on the date broken by creation time, newest first; assets without a date last.
    hits, _, total, _ = sorted_all[("", "shoot_date", 0)]
    assert total == 48 and len(hits) == 48

    # Reading entries in the column's order and testing each, or every match through GIN (a phrase
    # loosened there and checked on the rows in order): the same pages.
    for rows_first in (True, False):
        monkeypatch.setattr(walk.Plan, "column_page", _COLUMN_PAGE)
        monkeypatch.setattr(walk.Plan, "_rows_first", lambda *_, first=rows_first: first)
        assert _pages(pg) == sorted_all


_COLUMN_PAGE = walk.Plan.column_page


def test_a_page_cut_inside_a_millisecond_of_ties_reads_on_to_the_group_end(pg: Services) -> None:
    """Seventy assets created in one millisecond, the same date, the later created the earlier
    indexed: a first read of fewer rows than the group holds is read again, larger, so the page's
    order is exact."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pg.session() as session:
        for n in range(70):  # more than the first read of 32 rows, all in one millisecond
            asset = catalog_asset(pg.settings.default_tenant, n, f"防汛 {n}")
            asset.created_at, asset.shoot_date = start + timedelta(microseconds=69 - n), date(2024, 5, 1)
            session.add(asset)
        session.commit()
    with pg.session() as session:
        found = search(session, "default", SearchRequest(q="防汛", sort="shoot_date", limit=3))
    # Newest first by the exact creation time.
    assert [h.asset.title for h in found.hits] == ["防汛 0", "防汛 1", "防汛 2"]
