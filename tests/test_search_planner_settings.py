"""PostgreSQL: a search's planner settings (``SET LOCAL``) last for the search only, however it ends:
with its page, with a cursor it never gave out, or with an error halfway through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session
from test_search_chinese import load_news

import mam.search.sample as sampling
from mam.errors import SearchError
from mam.search import SearchRequest, search
from mam.search.plan import Plan
from mam.services import Services, open_services

NAMES = ("plan_cache_mode", "jit", "max_parallel_workers_per_gather", "enable_seqscan", "enable_indexscan")


@pytest.fixture
def pg(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    services = open_services(make_settings(tmp_path, MAM_DATABASE_URL=postgres_url))
    try:
        load_news(services)
        yield services
    finally:
        services.close()


def _settings(session: Session) -> list[str]:
    return [session.execute(text(f"SHOW {n}")).scalar_one() for n in NAMES]


def test_a_cursor_never_given_out_leaves_the_settings_as_they_were(pg: Services) -> None:
    with pg.session() as session:
        before = _settings(session)
        with pytest.raises(SearchError, match="not one this API gave out"):
            search(session, "default", SearchRequest(q="湘乡", cursor="not-a-cursor"))
        assert _settings(session) == before


def test_an_error_halfway_through_a_search_leaves_the_settings_as_they_were(
    pg: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []

    def failing(plan: Plan, session: Session, facets: bool) -> sampling.Sample:
        seen.append(_settings(session))  # the search's own settings are in force here
        raise RuntimeError("the sample could not be read")

    monkeypatch.setattr(sampling, "sample", failing)
    with pg.session() as session:
        before = _settings(session)
        for sort in ("relevance", "shoot_date"):
            with pytest.raises(RuntimeError, match="could not be read"):
                search(session, "default", SearchRequest(q="湘乡", sort=sort))
            assert _settings(session) == before
    assert seen and all(s != before for s in seen)


def test_a_database_error_in_a_search_is_raised_as_it_is_and_a_rollback_clears_the_rest(
    pg: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(plan: Plan, session: Session, facets: bool) -> sampling.Sample:
        session.execute(text("SELECT no_such_column FROM assets"))
        raise AssertionError("unreachable")

    monkeypatch.setattr(sampling, "sample", failing)
    with pg.session() as session:
        before = _settings(session)
        with pytest.raises(ProgrammingError, match="no_such_column"):  # not "current transaction is aborted"
            search(session, "default", SearchRequest(q="湘乡"))
        session.rollback()
        assert _settings(session) == before
        monkeypatch.undo()
        assert search(session, "default", SearchRequest(q="湘乡")).total > 0
