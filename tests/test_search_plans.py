"""PostgreSQL finds common words by reading entries newest first, rare ones through GIN: same hits either way."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings
from sqlalchemy import text
from test_search_chinese import EXPECTED, load_news

from mam.search import SearchRequest, cost, search
from mam.search.plan import Plan
from mam.services import open_services


def test_postgresql_returns_the_same_hits_whether_it_walks_entries_or_reads_the_gin_index(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = open_services(make_settings(tmp_path, MAM_DATABASE_URL=postgres_url))
    try:
        load_news(services)
        with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE search_entries"))
        walked: list[bool] = []
        decide = Plan.rows_first

        def spy(plan: Plan, *args: object) -> bool:
            walked.append(decide(plan, *args))  # type: ignore[arg-type]
            return walked[-1]

        monkeypatch.setattr(Plan, "rows_first", spy)
        queries = [*EXPECTED, "新闻", "乡", "湘乡 防汛", ""]
        found = {}
        # Reading a row costing nothing: every listed word is walked; a GIN match costing nothing: never.
        for row_us, match_us in ((0.0, 1.0), (1.0, 0.0)):
            monkeypatch.setattr(cost, "ROW_US", row_us)
            monkeypatch.setattr(cost, "MATCH_US", match_us)
            monkeypatch.setattr(cost, "_STATS", {})
            walked.clear()
            with services.session() as session:
                found[row_us] = {
                    q: (
                        [(h.asset.id, h.score, [i.ref_id for i in h.inner]) for h in r.hits],
                        r.total,
                        r.facets,
                    )
                    for q in queries
                    for r in [search(session, "default", SearchRequest(q=q, limit=50))]
                }
            assert any(walked) == (row_us == 0.0)
        assert found[0.0] == found[1.0]
        assert len(found[0.0]["湘乡"][0]) == len(EXPECTED["湘乡"])
    finally:
        services.close()


def test_optimize_index_gathers_the_token_statistics_the_plans_are_chosen_by(tmp_path: Path, postgres_url: str) -> None:
    from mam.search import optimize_index

    services = open_services(make_settings(tmp_path, MAM_DATABASE_URL=postgres_url))
    try:
        load_news(services)
        stats = "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'search_entries' AND attname = 'tokens'"
        with services.session() as session:
            assert optimize_index(session) == (
                "token statistics gathered again; no recent-entries index needed; no newest-entries index needed"
            )
            assert session.execute(text(stats)).scalar_one() == 1
            target = (
                "SELECT attstattarget FROM pg_attribute "
                "WHERE attrelid = 'search_entries'::regclass AND attname = 'tokens'"
            )
            assert session.execute(text(target)).scalar_one() == 400  # migration 0006
    finally:
        services.close()


def test_loosening_keeps_the_tokens_every_alternative_needs_once_each() -> None:
    from mam.search.expr import All, Tok, to_tsquery
    from mam.search.query import parse_query

    phrase = parse_query("月山镇 志愿者").phrase_expr()
    assert phrase is not None
    # Written as one run (…镇志…) or as two words (…镇 志…): only the tokens both need are looked up.
    assert cost.relaxed(phrase) == All((Tok("山镇"), Tok("志愿"), Tok("愿者"), Tok("月山")))
    text_expr = parse_query("月山镇 志愿者").text_expr()
    assert text_expr is not None
    title = parse_query("月山镇 志愿者").title_expr()
    assert title is not None
    assert to_tsquery(cost.relaxed(All((text_expr, title, phrase)))).count("'山镇'") == 1
    # Given the tokens' shares, each phrase is looked up by its rarest token; an alternative whose
    # token another term already requires is implied and left out (GIN would read its list again).
    shares = {"月山": 0.01, "山镇": 0.02, "镇志": 0.03, "志愿": 0.02, "愿者": 0.01}
    loose = cost.relaxed(All((text_expr, phrase)), shares)
    assert loose == All((Tok("月山"), Tok("愿者"))), loose
    pinyin = parse_query("xiangxiang").text_expr()  # alternatives with nothing in common stay alternatives
    assert pinyin is not None and " | " in to_tsquery(cost.relaxed(pinyin))


def test_a_search_leaves_the_transactions_planner_settings_as_it_found_them(tmp_path: Path, postgres_url: str) -> None:
    services = open_services(make_settings(tmp_path, MAM_DATABASE_URL=postgres_url))
    names = ("plan_cache_mode", "jit", "max_parallel_workers_per_gather", "enable_seqscan", "enable_indexscan")
    try:
        load_news(services)
        with services.session() as session:
            before = [session.execute(text(f"SHOW {n}")).scalar_one() for n in names]
            for sort in ("relevance", "shoot_date"):
                search(session, "default", SearchRequest(q="湘乡", sort=sort))
                # The caller's next statements in the same transaction plan as without the search.
                assert [session.execute(text(f"SHOW {n}")).scalar_one() for n in names] == before
    finally:
        services.close()
