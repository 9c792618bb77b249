"""Matches come newest first to the microsecond, also for assets created within one millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import catalog_asset

from mam.search import SearchRequest, search
from mam.services import Services


def test_assets_created_in_the_same_millisecond_are_ordered_by_their_exact_creation_time(services: Services) -> None:
    base = datetime(2026, 6, 1, 8, 0, 0, 100, tzinfo=UTC)
    offsets = {"b": 300, "a": 700, "c": 500, "old": -5000}  # microseconds; three share one millisecond
    with services.session() as session:
        for n, (name, micros) in enumerate(offsets.items()):
            asset = catalog_asset(services.settings.default_tenant, n, f"防汛 {name}")
            asset.created_at = base + timedelta(microseconds=micros)
            session.add(asset)
        session.commit()
    with services.session() as session:
        newest = search(session, services.settings.default_tenant, SearchRequest(q="防汛", sort="newest"))
        oldest = search(session, services.settings.default_tenant, SearchRequest(q="防汛", sort="oldest"))
    assert [h.asset.title for h in newest.hits] == ["防汛 a", "防汛 c", "防汛 b", "防汛 old"]
    assert [h.asset.title for h in oldest.hits] == ["防汛 old", "防汛 b", "防汛 c", "防汛 a"]
