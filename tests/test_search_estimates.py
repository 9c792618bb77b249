"""Totals above the sample are estimated from how densely the newest matches lie among the newest entries."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import catalog_asset

from mam.search import SearchRequest, search
from mam.search import sample as sampling
from mam.search.plan import Plan
from mam.services import Services


def _catalogue(services: Services, count: int) -> None:
    """``count`` assets, every other one about 防汛 (flood control), the rest about 会议 (a meeting)."""
    with services.session() as session:
        for n in range(count):
            topic = "防汛" if n % 2 == 0 else "会议"
            session.add(catalog_asset(services.settings.default_tenant, n, f"{topic}新闻 {n}"))
            session.flush()  # one creation time after another, as ingest makes them
        session.commit()


def test_a_total_above_the_sample_is_estimated_from_the_density_of_the_newest_matches(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(services, 80)
    monkeypatch.setattr(sampling, "SAMPLE", 10)

    def no_count(*_: object, **__: object) -> int:
        raise AssertionError("a dense match is estimated, not counted")

    monkeypatch.setattr(sampling, "count_older", no_count)
    with services.session() as session:
        result = search(session, services.settings.default_tenant, SearchRequest(q="防汛"))
    assert result.total_is_estimate
    # The 10 newest matches lie among the newest 19 or 20 entries: about half of all 80 match.
    assert 38 <= result.total <= 44
    assert len(result.hits) == 20 and result.next_cursor is not None


def test_a_sparse_match_is_counted_instead(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    _catalogue(services, 80)
    monkeypatch.setattr(sampling, "SAMPLE", 10)
    monkeypatch.setattr(sampling, "RANGE_CAP", 5)  # the sample spans more entries than this: count
    counts: list[object] = []
    count = sampling.count_older

    def spy(plan: Plan, *args: object, **kwargs: object) -> int:
        counts.append(args)
        return count(plan, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sampling, "count_older", spy)
    with services.session() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        counted = search(session, services.settings.default_tenant, SearchRequest(q="防汛"))
        monkeypatch.setattr(sampling, "COUNT_CAP", 25)
        capped = search(session, services.settings.default_tenant, SearchRequest(q="防汛"))
    assert (counted.total, counted.total_is_estimate) == (40, True)
    if postgres:
        # The sample statement read every match through GIN and counted them as it went: all 40,
        # with no count of its own (so no cap).
        assert (capped.total, capped.total_is_estimate) == (40, True)
        assert not counts
    else:
        # The 10 sampled, and the 30 older matches counted (up to COUNT_CAP).
        assert (capped.total, capped.total_is_estimate) == (35, True)
        assert counts


def test_a_phrase_total_without_facets_is_estimated_from_fewer_checked_matches(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL checks a phrase on each candidate's token stream; asked for no facets, it checks
    PHRASE_SAMPLE matches when the candidates clearly hold more than SAMPLE, and the full sample
    (an exact total up to SAMPLE) when they may not."""
    _catalogue(services, 80)
    monkeypatch.setattr(sampling, "SAMPLE", 10)
    monkeypatch.setattr(sampling, "PHRASE_SAMPLE", 3)
    sizes: list[int | None] = []
    sample_sql = sampling.sample_sql

    def spy(plan: Plan, *args: Any, **kwargs: Any) -> Any:
        sizes.append(kwargs.get("size"))
        return sample_sql(plan, *args, **kwargs)

    monkeypatch.setattr(sampling, "sample_sql", spy)
    with services.session() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        quick = search(session, services.settings.default_tenant, SearchRequest(q='"防汛新闻"', facets=False))
        quick_sizes, sizes[:] = list(sizes), []
        full = search(session, services.settings.default_tenant, SearchRequest(q='"防汛新闻"'))
        full_sizes, sizes[:] = list(sizes), []
        monkeypatch.setattr(sampling, "SAMPLE", 30)  # 40 matches: not clearly above the sample (45)
        exact = search(session, services.settings.default_tenant, SearchRequest(q='"防汛新闻"', facets=False))
        exact_sizes = list(sizes)
    assert [h.asset.id for h in quick.hits] == [h.asset.id for h in full.hits]
    assert quick.total_is_estimate and full.total_is_estimate
    assert 36 <= quick.total <= 44 and 36 <= full.total <= 44  # 40 match
    assert exact.total_is_estimate and 36 <= exact.total <= 44
    if postgres:
        assert quick_sizes == [3] and full_sizes == [10]
        assert exact_sizes == [3, 30]  # three checked, then the full sample: the total may be 30 or fewer
    else:
        assert set(quick_sizes + full_sizes) == {10}  # FTS5 matches phrases in its index
