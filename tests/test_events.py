"""Events: written where things happen, in the same transaction; streamed per tenant over SSE,
resumable by id, other tenants' never shown; progress coalesced."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import auth_headers, catalog_asset, make_settings
from events_support import StreamReader, read_stream
from live_server import live_server

from api.app import create_app
from mam.catalog import AssetChanges, ensure_tenant, update_asset
from mam.deletion import delete_asset
from mam.events import EventType, events_after
from mam.jobs import JobPolicy, claim_job, complete_job, create_asset_with_job, fail_job, set_job_progress
from mam.models import Job, Rendition
from mam.services import Services
from mam.sharing import share_asset, unshare_asset

A, B = "county-a", "county-b"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    settings = make_settings(tmp_path / "home", MAM_EVENT_HEARTBEAT_SECONDS="0.2", MAM_RATE_PER_KEY="0")
    app = create_app(settings, run_workers=False)
    with live_server(app) as base:
        services: Services = app.state.services
        with services.session() as session:
            ensure_tenant(session, A)
            ensure_tenant(session, B)
        yield base, services


def _asset(services: Services, tenant: str, n: int, title: str = "防汛") -> tuple[str, str]:
    with services.session() as session:
        job = create_asset_with_job(session, catalog_asset(tenant, n, title), ["proxy"])
        assert job is not None
        return job.asset_id, job.id


def _types(frames: list) -> list[str]:  # type: ignore[type-arg]
    return [f.type for f in frames]


def test_a_stream_from_an_id_shows_every_later_event_of_its_tenant_in_order_and_none_of_another(
    server: tuple[str, Services],
) -> None:
    base, services = server
    a1, job1 = _asset(services, A, 1)
    _asset(services, B, 2, "另一个县")
    a3, _ = _asset(services, A, 3)
    headers = auth_headers(services, A, "viewer")

    frames = read_stream(base, headers, "after=0&timeout=1")

    assert _types(frames) == ["asset.created", "job.queued", "asset.created", "job.queued"]
    assert [f.data["subject"] for f in frames] == [a1, job1, a3, frames[3].data["subject"]]
    assert {f.data["tenant_id"] for f in frames} == {A}
    assert [f.id for f in frames] == sorted(f.id for f in frames)
    assert frames[0].data["data"]["title"] == "防汛" and frames[1].data["data"]["state"] == "queued"

    resumed = read_stream(base, {**headers, "Last-Event-ID": str(frames[1].id)}, "timeout=1")
    assert [f.id for f in resumed] == [f.id for f in frames[2:]]
    only_assets = read_stream(base, headers, "after=0&timeout=1&type=asset.created")
    assert [f.id for f in only_assets] == [frames[0].id, frames[2].id]
    assert read_stream(base, auth_headers(services, B), "after=0&timeout=1")[0].data["tenant_id"] == B


def test_an_open_stream_gets_what_happens_next_and_keep_alive_comments_while_idle(
    server: tuple[str, Services],
) -> None:
    base, services = server
    reader = StreamReader(f"{base}/api/v1/events?timeout=5", auth_headers(services, A)).start()
    time.sleep(0.5)  # idle: comments only
    asset_id, _ = _asset(services, A, 1)

    frames = reader.wait_for(2)
    assert _types(frames[:2]) == ["asset.created", "job.queued"] and frames[0].data["subject"] == asset_id
    assert reader.comments >= 2  # the stream's opening comment and a keep-alive


def test_the_tenant_an_asset_is_shared_with_hears_of_the_share_and_the_assets_changes_but_not_its_jobs(
    server: tuple[str, Services],
) -> None:
    base, services = server
    asset_id, job_id = _asset(services, A, 1)
    with services.session() as session:
        share_asset(session, A, asset_id, [B])
        update_asset(session, A, asset_id, AssetChanges(title="改名"))
        fail_job(session, job_id, "test")
        unshare_asset(session, A, asset_id, B)
        update_asset(session, A, asset_id, AssetChanges(title="不再共享"))

    seen_by_b = read_stream(base, auth_headers(services, B, "viewer"), "after=0&timeout=1")
    assert _types(seen_by_b) == ["share.granted", "asset.updated", "share.revoked"]
    assert seen_by_b[1].data["data"]["title"] == "改名" and seen_by_b[0].data["data"]["owner"] == A
    seen_by_a = read_stream(base, auth_headers(services, A), "after=0&timeout=1")
    assert _types(seen_by_a) == [
        "asset.created",
        "job.queued",
        "share.granted",
        "asset.updated",
        "job.failed",
        "share.revoked",
        "asset.updated",
    ]


def test_a_jobs_life_is_told_once_per_step_and_its_progress_at_most_once_a_second(services: Services) -> None:
    with services.session() as session:
        job = create_asset_with_job(session, catalog_asset("default", 1, "t"), ["proxy"])
        assert job is not None
        claimed = claim_job(session, job.id, JobPolicy())
        assert claimed is not None
        for step in range(20):  # a render reports twice a second; this is faster still
            set_job_progress(session, job.id, step / 20, fps=25.0, eta_seconds=10.0)
        made = Rendition(
            asset_id=job.asset_id,
            profile="proxy",
            source_sha256=claimed.asset.sha256,
            storage_key="k/proxy.mp4",
            content_type="video/mp4",
            size=10,
        )
        assert complete_job(session, job.id, {}, [made])
        events = events_after(session, 0, tenant_id="default")

    assert [e.type for e in events] == [
        "asset.created",
        "job.queued",
        "job.started",
        "job.progress",
        "rendition.ready",
        "job.done",
    ]
    progress = events[3].payload
    assert progress["state"] == "running" and progress["fps"] == 25.0 and progress["eta_seconds"] == 10.0
    assert events[4].payload["profile"] == "proxy" and events[5].payload["progress"] == 1.0
    with services.session() as session:
        assert session.get(Job, job.id) is not None


def test_a_deleted_asset_is_told_to_its_owner_and_to_the_tenants_it_was_shared_with(services: Services) -> None:
    with services.session() as session:
        ensure_tenant(session, B)
        job = create_asset_with_job(session, catalog_asset("default", 1, "t"), [])
        assert job is None
        asset_id = events_after(session, 0)[0].subject
        share_asset(session, "default", asset_id, [B])

    delete_asset(services, "default", asset_id)

    with services.session() as session:
        for tenant in ("default", B):
            last = events_after(session, 0, tenant_id=tenant)[-1]
            assert (last.type, last.subject, last.payload["status"]) == (EventType.ASSET_DELETED, asset_id, "deleted")


def test_a_rolled_back_event_is_never_seen_and_the_session_goes_on(sqlite_services: Services) -> None:
    from mam.events import EventBus, emit

    bus = EventBus(sqlite_services.engine, sqlite_services.sessions)
    bus.start()  # its hook on the sessions' commits and rollbacks
    try:
        with sqlite_services.session() as session:
            create_asset_with_job(session, catalog_asset("default", 1, "t"), [])
            asset_id = events_after(session, 0)[0].subject
            emit(session, EventType.ASSET_UPDATED, "default", asset_id, {"title": "never"})
            session.rollback()
            assert not fail_job(session, "no-such-job", "x")  # a conditional change that found nothing: rolled back
            update_asset(session, "default", asset_id, AssetChanges(title="later"))
            seen = events_after(session, 0)
    finally:
        bus.stop()
    assert [(e.type, e.payload["title"]) for e in seen] == [("asset.created", "t"), ("asset.updated", "later")]
