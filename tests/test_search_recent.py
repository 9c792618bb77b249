"""PostgreSQL: the GIN index of the newest entries (mam/search/recent.py) finds the same hits as the
full index, whether a search reads the whole newest part or a window of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import catalog_asset, make_settings
from sqlalchemy import event, text
from test_search_chinese import EXPECTED, load_news

from mam.search import SearchRequest, cost, postgres_backend, recent, search
from mam.search import sample as sampling
from mam.search.ids import BLOCK_BITS
from mam.search.plan import Plan
from mam.search.recent import newest_bound, rebuild_newest, rebuild_recent, recent_bound
from mam.services import Services, open_services

TOPICS = ("防汛抢险", "会议", "湘乡茶叶", "会议 防汛")


@pytest.fixture
def pg(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    services = open_services(make_settings(tmp_path, MAM_DATABASE_URL=postgres_url))
    yield services
    services.close()


def _catalogue(services: Services, count: int, start: int = 0) -> None:
    with services.session() as session:
        for n in range(start, start + count):
            asset = catalog_asset(services.settings.default_tenant, n, f"{TOPICS[n % len(TOPICS)]}新闻 {n}")
            asset.media_kind = "audio" if n % 5 == 0 else "video"
            session.add(asset)
            session.flush()  # one creation time after another, as ingest makes them
        session.commit()


def _covered(services: Services, block: int) -> int:
    with services.session() as session:
        statement = text("SELECT COUNT(*) FROM search_entries WHERE id >= :low")
        return int(session.execute(statement, {"low": block << BLOCK_BITS}).scalar_one())


def test_optimize_index_builds_the_recent_index_once_the_catalog_needs_it(pg: Services) -> None:
    _catalogue(pg, 60)
    with pg.session() as session:
        assert rebuild_recent(session, size=40) == "no recent-entries index needed"  # 60 < 2 x 40
        assert recent_bound(session) is None
        assert rebuild_recent(session, size=20) == "recent-entries index built over the newest 20 entries"
        bound = recent_bound(session)
    assert bound is not None and 20 <= _covered(pg, bound) < 30
    with pg.session() as session:
        assert rebuild_recent(session, size=20) == "recent-entries index kept"
    _catalogue(pg, 20, start=60)  # the newest part holds 40 entries now: more than 1.5 x 20
    with pg.session() as session:
        assert rebuild_recent(session, size=20).startswith("recent-entries index built")
        newer = recent_bound(session)
        assert newer is not None and newer > bound
        assert rebuild_recent(session, size=1000) == "recent-entries index dropped (catalog too small to need it)"
        assert recent_bound(session) is None


def _results(services: Services, queries: list[str]) -> dict[tuple[str, str], Any]:
    with services.session() as session:
        return {
            (q, sort): (
                [(h.asset.id, h.score, [i.ref_id for i in h.inner]) for h in r.hits],
                r.total,
                r.total_is_estimate,
                r.facets,
                r.next_cursor,
            )
            for q in queries
            for sort in ("relevance", "newest")
            for r in [search(session, "default", SearchRequest(q=q, sort=sort, limit=7))]
        }


def test_the_recent_index_finds_the_same_hits_as_the_full_index(pg: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    load_news(pg)
    _catalogue(pg, 90, start=1000)  # past the test set's own checksums
    with pg.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE search_entries"))
    queries = [*EXPECTED, "防汛", "会议", "湘乡", "茶", "湘乡 防汛", "会议 type:audio", '"防汛抢险"', "防汛 新闻 会议"]
    queries.append("")

    monkeypatch.setattr(postgres_backend, "recent_bound", lambda _session: None)
    full = _results(pg, queries)

    monkeypatch.setattr(postgres_backend, "recent_bound", recent_bound)
    with pg.session() as session:
        rebuild_recent(session, size=30)
        assert recent_bound(session) is not None
    edges: list[int] = []
    edge = Plan.edge

    def spy(plan: Plan, *args: Any) -> int:
        edges.append(edge(plan, *args))
        return edges[-1]

    monkeypatch.setattr(Plan, "edge", spy)
    windows: list[int] = []
    window_sql = Plan.window_sql

    def spy_window(plan: Plan, low: int | None) -> Any:
        if low is not None:
            windows.append(low)
        return window_sql(plan, low)

    monkeypatch.setattr(Plan, "window_sql", spy_window)
    monkeypatch.setattr(cost, "FEW_US", 0.0)  # in a catalog this small every word is rare
    # Few matches expected in the recent part (under 2,000), yet enough for a page: it is read whole.
    monkeypatch.setattr(cost, "RECENT_ENTRIES", 1000)
    assert _results(pg, queries) == full
    assert windows and not edges  # the recent index was searched, the whole of its part each time

    # Reading a posting list costing nothing: common words are looked for in windows of the newest part.
    monkeypatch.setattr(cost, "RECENT_ENTRIES", 1_000_000)
    monkeypatch.setattr(cost, "GIN_US", 0.0)
    assert _results(pg, queries) == full
    assert edges


def test_a_window_in_the_newest_part_is_read_through_the_newest_index(
    pg: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(pg, 160)
    with pg.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE search_entries"))
    queries = ["防汛", "会议", "湘乡", "湘乡 防汛", "会议 type:audio", '"防汛抢险"', "防汛 新闻 会议"]
    monkeypatch.setattr(sampling, "SAMPLE", 5)  # a sample's window is small enough for the newest part

    def hits() -> dict[tuple[str, str], Any]:
        # The same hits, facets and cursors; an estimated total may differ by the path it took.
        return {key: (found, facets, cursor) for key, (found, _, _, facets, cursor) in _results(pg, queries).items()}

    full = hits()
    with pg.session() as session:
        assert rebuild_newest(session, size=40) == "no newest-entries index needed"  # not without a recent one
        rebuild_recent(session, size=60)
        assert rebuild_newest(session, size=40) == "newest-entries index built over the newest 40 entries"
        assert rebuild_newest(session, size=40) == "newest-entries index kept"
        newest = newest_bound(session)
    assert newest is not None
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if ">> 22) >=" in statement and not statement.startswith("EXPLAIN"):
            # The statement as the search planned it, bitmap scans only: through which GIN index?
            other = cursor.connection.cursor()
            other.execute("SAVEPOINT plan; SET LOCAL enable_indexscan = off")
            other.execute("EXPLAIN " + statement, params)
            plans.append("\n".join(row[0] for row in other.fetchall()))
            other.execute("ROLLBACK TO SAVEPOINT plan")

    event.listen(pg.engine, "before_cursor_execute", explain)
    monkeypatch.setattr(cost, "FEW_US", 0.0)
    monkeypatch.setattr(cost, "RECENT_ENTRIES", 1_000_000)  # windows of the newest entries, sized by share
    monkeypatch.setattr(cost, "GIN_US", 0.0)
    try:
        assert hits() == full
    finally:
        event.remove(pg.engine, "before_cursor_execute", explain)
    assert plans  # some windows lay in the newest part
    assert all("ix_search_entries_newest" in plan and "ix_search_entries_recent" not in plan for plan in plans)
    with pg.session() as session:
        assert rebuild_recent(session, size=1000).startswith("recent-entries index dropped")
        assert rebuild_newest(session, size=40) == "newest-entries index dropped (no recent-entries index beside it)"


def test_a_sparse_total_is_estimated_from_the_matches_in_the_recent_part(
    pg: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(pg, 120)
    with pg.session() as session:
        rebuild_recent(session, size=40)
    monkeypatch.setattr(sampling, "SAMPLE", 5)
    monkeypatch.setattr(sampling, "RANGE_CAP", 5)  # the sample spans more entries than this
    counted: list[Any] = []
    count = sampling.count_older

    def spy(plan: Plan, *args: Any, **kwargs: Any) -> int:
        counted.append(kwargs.get("low"))
        return count(plan, *args, **kwargs)

    monkeypatch.setattr(sampling, "count_older", spy)
    with pg.session() as session:
        result = search(session, "default", SearchRequest(q="防汛抢险"))
        # Without the count the sample statement makes of the matches it reads (as when it reads
        # entries one by one), the matches of the newest part are counted through the recent index.
        monkeypatch.setattr(sampling, "candidates", lambda *_: None)
        uncounted = search(session, "default", SearchRequest(q="防汛抢险"))
    # 防汛抢险 is in every fourth asset: as densely in the newest part as in all 120.
    assert result.total_is_estimate and uncounted.total_is_estimate
    assert 25 <= result.total <= 35 and 25 <= uncounted.total <= 35
    assert counted == [_bound_id(pg)]  # the second search only, through the recent index, from its bound


def _bound_id(services: Services) -> int:
    with services.session() as session:
        block = recent_bound(session)
    assert block is not None
    return block << BLOCK_BITS


def test_a_stale_bound_finds_the_same_hits(pg: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search that read the bound before the index was built again still finds every hit."""
    _catalogue(pg, 80)
    with pg.session() as session:
        rebuild_recent(session, size=20)
        old = recent_bound(session)
    _catalogue(pg, 30, start=80)
    with pg.session() as session:
        rebuild_recent(session, size=20)
        assert recent_bound(session) != old
    monkeypatch.setattr(postgres_backend, "recent_bound", lambda _session: old)
    monkeypatch.setattr(cost, "FEW_US", 0.0)
    monkeypatch.setattr(cost, "RECENT_ENTRIES", 1_000_000)
    monkeypatch.setattr(cost, "GIN_US", 0.0)
    stale = _results(pg, ["防汛", "会议 防汛"])
    monkeypatch.setattr(postgres_backend, "recent_bound", recent_bound)
    recent._BOUNDS.clear()
    assert stale == _results(pg, ["防汛", "会议 防汛"])
    assert len(stale[("防汛", "newest")][0]) == 7


def test_a_sample_the_recent_part_cannot_fill_reads_the_full_index_at_once(
    pg: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(pg, 80)
    with pg.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE search_entries"))
    with pg.session() as session:
        rebuild_recent(session, size=20)
    monkeypatch.setattr(cost, "FEW_US", 0.0)
    monkeypatch.setattr(cost, "GIN_US", 0.0)
    monkeypatch.setattr(cost, "RECENT_ENTRIES", 20)
    monkeypatch.setattr(sampling, "SAMPLE", 30)  # 会议 is in half of 80 assets: 40 matches, ~10 of them recent
    samples: list[str] = []

    def sampled(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("WITH s AS"):
            samples.append(statement)

    def run() -> tuple[Any, ...]:
        with pg.session() as session:
            r = search(session, "default", SearchRequest(q="会议", facets=True))
            return [h.asset.id for h in r.hits], r.total, r.total_is_estimate, r.facets

    event.listen(pg.engine, "before_cursor_execute", sampled)
    try:
        found = run()
    finally:
        event.remove(pg.engine, "before_cursor_execute", sampled)
    # One sample statement, over the whole index: no window of the recent part first.
    assert len(samples) == 1 and ">> 21" not in samples[0] and ">> 22" not in samples[0]
    assert found[2] and 36 <= found[1] <= 44  # 40, estimated from the sample's 30
    monkeypatch.setattr(postgres_backend, "recent_bound", lambda _session: None)
    assert run() == found
