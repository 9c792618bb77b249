"""Totals above the sample are estimated from how densely the newest matches lie among the newest entries."""

from __future__ import annotations

import pytest
from conftest import catalog_asset

from mam.search import SearchRequest, search, walk
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
    monkeypatch.setattr(walk, "SAMPLE", 10)

    def no_count(*_: object) -> int:
        raise AssertionError("a dense match is estimated, not counted")

    monkeypatch.setattr(walk.Plan, "_count", no_count)
    with services.session() as session:
        result = search(session, services.settings.default_tenant, SearchRequest(q="防汛"))
    assert result.total_is_estimate
    # The 10 newest matches lie among the newest 19 or 20 entries: about half of all 80 match.
    assert 38 <= result.total <= 44
    assert len(result.hits) == 20 and result.next_cursor is not None


def test_a_sparse_match_is_counted_instead(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    _catalogue(services, 80)
    monkeypatch.setattr(walk, "SAMPLE", 10)
    monkeypatch.setattr(walk, "RANGE_CAP", 5)  # the sample spans more entries than this: count
    counts: list[object] = []
    count = walk.Plan._count

    def spy(plan: walk.Plan, *args: object, **kwargs: object) -> int:
        counts.append(args)
        return count(plan, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(walk.Plan, "_count", spy)
    with services.session() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        counted = search(session, services.settings.default_tenant, SearchRequest(q="防汛"))
        monkeypatch.setattr(walk, "COUNT_CAP", 25)
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
