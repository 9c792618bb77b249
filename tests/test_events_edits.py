"""Every edit of what an asset shows (its custom fields, its spans, its subtitles) is told once as
``asset.updated``: to the owner and the tenants the asset is shared with, never to another tenant,
and a refused edit tells no one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import auth_headers, catalog_asset, make_settings
from events_support import Frame, read_stream
from live_server import live_server

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.events import events_after, latest_event_id
from mam.jobs import create_asset_with_job
from mam.services import Services
from mam.sharing import share_asset

OWNER, SHARED, OTHER = "county-a", "county-b", "county-c"
SRT = "1\n00:00:01,000 --> 00:00:02,500\n抗洪抢险\n\n2\n00:00:03,000 --> 00:00:04,000\n群众转移\n"


@pytest.fixture
def shared_asset(tmp_path: Path) -> Iterator[tuple[str, Services, str]]:
    """A live server with an asset of OWNER shared with SHARED (OTHER has nothing to do with it)."""
    settings = make_settings(tmp_path / "home", MAM_EVENT_HEARTBEAT_SECONDS="0.2", MAM_RATE_PER_KEY="0")
    app = create_app(settings, run_workers=False)
    with live_server(app) as base:
        services: Services = app.state.services
        with services.session() as session:
            for tenant in (OWNER, SHARED, OTHER):
                ensure_tenant(session, tenant)
            job = create_asset_with_job(session, catalog_asset(OWNER, 1, "防汛"), ["proxy"])
            assert job is not None
            share_asset(session, OWNER, job.asset_id, [SHARED])
        yield base, services, job.asset_id


def _since(services: Services, after: int, tenant: str) -> list[tuple[str, str, Any]]:
    with services.session() as session:
        return [(e.type, e.subject, e.payload.get("changed")) for e in events_after(session, after, tenant_id=tenant)]


def _mark(services: Services) -> int:
    with services.session() as session:
        return latest_event_id(session)


def _edit_and_count(
    services: Services, asset_id: str, edit: Any, changed: str | None
) -> dict[str, list[tuple[str, str, Any]]]:
    """Run ``edit``; returns what each tenant heard since, after checking the owner heard one update."""
    before = _mark(services)
    edit()
    heard = {tenant: _since(services, before, tenant) for tenant in (OWNER, SHARED, OTHER)}
    assert heard[OWNER] == [("asset.updated", asset_id, changed)]
    assert heard[SHARED] == heard[OWNER]
    assert heard[OTHER] == []
    return heard


def test_custom_fields_spans_and_subtitles_edited_through_the_api_are_each_told_once_to_owner_and_shared(
    shared_asset: tuple[str, Services, str],
) -> None:
    base, services, asset_id = shared_asset
    admin = auth_headers(services, OWNER)
    assets = f"{base}/api/v1/assets/{asset_id}"
    with httpx.Client(headers=admin, timeout=60) as client:
        client.put(f"{base}/api/v1/fields/story_id", json={"kind": "keyword"}).raise_for_status()
        before = _mark(services)

        def set_field() -> None:
            client.patch(assets, json={"custom": {"story_id": "A-17"}}).raise_for_status()

        def add_span() -> None:
            client.post(f"{assets}/spans", json={"kind": "marker", "start": 1.0, "title": "决口"}).raise_for_status()

        def delete_span() -> None:
            span_id = client.get(f"{assets}/spans").json()[0]["id"]
            assert client.delete(f"{assets}/spans/{span_id}").status_code == 204

        def import_subtitles() -> None:
            files = {"file": ("news.srt", SRT.encode(), "application/x-subrip")}
            assert client.post(f"{assets}/subtitles", files=files, data={"track": "zh"}).status_code == 201

        _edit_and_count(services, asset_id, set_field, None)
        _edit_and_count(services, asset_id, add_span, "spans")
        _edit_and_count(services, asset_id, delete_span, "spans")
        _edit_and_count(services, asset_id, import_subtitles, "subtitles")

    streamed: dict[str, list[Frame]] = {
        tenant: read_stream(base, auth_headers(services, tenant, "viewer"), f"after={before}&timeout=1")
        for tenant in (OWNER, SHARED, OTHER)
    }
    for tenant in (OWNER, SHARED):
        frames = streamed[tenant]
        assert [f.type for f in frames] == ["asset.updated"] * 4
        assert [f.data["data"].get("changed") for f in frames] == [None, "spans", "spans", "subtitles"]
        assert {f.data["subject"] for f in frames} == {asset_id} and {f.data["tenant_id"] for f in frames} == {tenant}
    assert streamed[OTHER] == []


def test_a_refused_edit_tells_no_one(shared_asset: tuple[str, Services, str]) -> None:
    base, services, asset_id = shared_asset
    assets = f"{base}/api/v1/assets/{asset_id}"
    before = _mark(services)
    with httpx.Client(headers=auth_headers(services, OWNER), timeout=60) as owner:
        assert owner.post(f"{assets}/spans", json={"kind": "marker", "start": 5.0, "end": 1.0}).status_code == 422
        bad = {"file": ("bad.srt", b"no cues here", "application/x-subrip")}
        assert owner.post(f"{assets}/subtitles", files=bad).status_code == 422
        assert owner.patch(assets, json={"custom": {"undefined_field": "x"}}).status_code == 422
    with httpx.Client(headers=auth_headers(services, SHARED), timeout=60) as reader:  # shared: read-only
        assert reader.post(f"{assets}/spans", json={"kind": "marker", "start": 1.0}).status_code == 403
        good = {"file": ("news.srt", SRT.encode(), "application/x-subrip")}
        assert reader.post(f"{assets}/subtitles", files=good).status_code == 403
    with httpx.Client(headers=auth_headers(services, OTHER), timeout=60) as stranger:
        assert stranger.post(f"{assets}/spans", json={"kind": "marker", "start": 1.0}).status_code == 404

    assert [_since(services, before, tenant) for tenant in (OWNER, SHARED, OTHER)] == [[], [], []]
