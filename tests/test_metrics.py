"""GET /metrics: what a real job, real requests and the catalog's state show in Prometheus's format,
who may scrape it, and that its labels stay bounded and name no asset."""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from api_support import wait_job
from conftest import auth_headers, make_settings
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from live_server import free_port
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.errors import JobRequestError, StorageError
from mam.metrics import FAILURE_REASONS, METRICS, failure_reason, serve_metrics
from mam.models import Asset, Job, JobState, Rendition, utcnow
from mam.services import Services, open_services
from transcode import generate
from transcode.errors import MediaTimeoutError, OutputCheckError, UnreadableMediaError
from workers.runtime import attach_broker, sweep

TITLE = "县委书记调研防汛 metrics-secret-title"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient, headers: dict[str, str]) -> tuple[str, Samples]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return answer.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels`` (0 when none)."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= set(found))


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@dataclass
class Scene:
    client: TestClient
    services: Services
    platform: dict[str, str]
    editor: dict[str, str]
    clip: Path
    truncated: Path


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    root = tmp_path_factory.mktemp("metrics")
    clip = generate.silent_clip(root / "clip.mp4", seconds=2.0, width=320, height=240)
    longer = generate.silent_clip(root / "longer.mp4", seconds=6.0, width=320, height=240)
    truncated = generate.corrupt_file(root / "truncated.mp4", kind="truncated", source=longer)
    services = open_services(make_settings(root / "home", MAM_METRICS_STORAGE_SECONDS="0"))
    try:
        platform = auth_headers(services, "province", "platform")
        editor = auth_headers(services, "default", "editor")
        with TestClient(create_app(services=services)) as client:
            yield Scene(client, services, platform, editor, clip, truncated)
    finally:
        services.close()


def test_a_real_job_shows_in_the_scrape_with_counts_that_match_what_was_done(scene: Scene) -> None:
    _, before = scrape(scene.client, scene.platform)
    with scene.clip.open("rb") as handle:
        made = scene.client.post(
            "/api/v1/assets",
            files={"file": ("b-roll.mp4", handle)},
            data={"title": TITLE, "profiles": "proxy,poster"},
            headers=scene.editor,
        )
    assert made.status_code == 201, made.text
    asset_id = made.json()["id"]
    job = wait_job(scene.client, made.json()["jobs"][0]["id"], headers=scene.editor)
    assert job["state"] == "done", job
    scene.client.get(f"/api/v1/assets/{asset_id}", headers=scene.editor)
    scene.client.get(f"/nothing/here/{asset_id}", headers=scene.editor)
    text, after = scrape(scene.client, scene.platform)

    assert delta(before, after, "mam_jobs_started_total", kind="render", lane="normal") == 1
    assert delta(before, after, "mam_jobs_finished_total", kind="render", outcome="done") == 1
    assert delta(before, after, "mam_job_queue_wait_seconds_count", lane="normal") == 1
    assert delta(before, after, "mam_job_duration_seconds_count", kind="render", outcome="done") == 1
    took = delta(before, after, "mam_job_duration_seconds_sum", kind="render", outcome="done")
    assert 0 < took < 120
    with scene.services.session() as session:
        row = session.get(Job, job["id"])
        assert row is not None
        frames, wall = row.result["frames_decoded"], row.result["wall_seconds"]
        asset = session.get(Asset, asset_id)
        assert asset is not None
        original = asset.size
        renditions = sum(session.scalars(select(Rendition.size).where(Rendition.asset_id == asset_id)))
    assert frames == 50  # 2 s at 25 frames/s
    for profile in ("proxy", "poster"):
        assert delta(before, after, "mam_render_frames_total", profile=profile) == frames
        assert delta(before, after, "mam_render_frames_per_second_count", profile=profile) == 1
        fps = delta(before, after, "mam_render_frames_per_second_sum", profile=profile)
        assert fps == pytest.approx(frames / wall, rel=1e-6)
        assert delta(before, after, "mam_render_duration_seconds_sum", profile=profile) == pytest.approx(wall)
    assert value(after, "mam_stored_bytes", tenant="default", kind="original") == original
    assert value(after, "mam_stored_bytes", tenant="default", kind="rendition") == renditions > 0
    assert value(after, "mam_catalog_up") == 1
    assert value(after, "mam_jobs", state="queued") == value(after, "mam_jobs", state="running") == 0

    posted = {"method": "POST", "route": "/api/v1/assets", "status": "201"}
    assert delta(before, after, "mam_http_request_duration_seconds_count", **posted) == 1
    assert value(after, "mam_http_request_duration_seconds_count", route="/api/v1/assets/{asset_id}", status="200") >= 1
    assert value(after, "mam_http_request_duration_seconds_count", route="/api/v1/jobs/{job_id}") >= 1
    assert value(after, "mam_http_request_duration_seconds_count", route="unmatched") >= 1
    assert (
        asset_id not in text and job["id"] not in text and "metrics-secret-title" not in text and "b-roll" not in text
    )


def test_queued_jobs_are_counted_per_lane_with_the_wait_of_the_oldest(tmp_path: Path) -> None:
    services = open_services(make_settings(tmp_path / "home"))
    try:
        platform = auth_headers(services, "province", "platform")
        lanes = ("urgent", "bulk", "bulk")
        with services.session() as session:
            asset = Asset(
                tenant_id="province", title=TITLE, media_kind="video", original_filename="a.mp4",
                original_key="k", size=1234, sha256="0" * 64, xxh3="0" * 16,
            )  # fmt: skip
            session.add(asset)
            session.flush()
            for n, lane in enumerate(lanes):
                ago = utcnow() - timedelta(minutes=10 - n)
                session.add(Job(asset_id=asset.id, profiles=["proxy"], created_at=ago, lane=lane))
            session.add(Job(asset_id=asset.id, profiles=["proxy"], state=JobState.DONE))
            session.commit()
        with TestClient(create_app(services=services, run_workers=False)) as client:
            _, samples = scrape(client, platform)
    finally:
        services.close()
    for lane in ("urgent", "normal", "bulk"):
        assert value(samples, "mam_jobs", lane=lane, state="queued") == lanes.count(lane)
        assert value(samples, "mam_jobs", lane=lane, state="running") == 0
        oldest = value(samples, "mam_queue_oldest_wait_seconds", lane=lane)
        first = next((n for n, found in enumerate(lanes) if found == lane), None)
        assert oldest == (0 if first is None else pytest.approx((10 - first) * 60, abs=30))
    assert value(samples, "mam_stored_bytes", tenant="province", kind="original") == 1234


def test_only_the_platform_role_scrapes_and_a_scrape_names_no_tenant_content(scene: Scene) -> None:
    assert scene.client.get("/metrics").status_code == 401
    assert scene.client.get("/metrics", headers=scene.editor).status_code == 403
    admin = auth_headers(scene.services, "default", "admin")
    assert scene.client.get("/metrics", headers=admin).status_code == 403
    answer = scene.client.get("/metrics", headers=scene.platform)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    openmetrics = scene.client.get("/metrics", headers={**scene.platform, "Accept": "application/openmetrics-text"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.rstrip().endswith("# EOF")


def test_made_up_paths_do_not_make_new_series(scene: Scene) -> None:
    before, _ = scrape(scene.client, scene.platform)
    for n in range(20):
        scene.client.get(f"/api/v1/assets/{n:08d}-made-up", headers=scene.editor)
        scene.client.get(f"/made/up/{n}", headers=scene.editor)
    text, _ = scrape(scene.client, scene.platform)
    assert "made-up" not in text and "/made/up" not in text

    def routes_in(scraped: str) -> set[str]:
        return {line.split('route="', 1)[1].split('"', 1)[0] for line in scraped.splitlines() if 'route="' in line}

    routes = routes_in(text)
    known = {c.path for c in iter_route_contexts(scene.client.app.router.routes)}  # type: ignore[attr-defined]
    # the registry is the process's: other tests' apps may have added routes of their own before this one
    assert routes - routes_in(before) <= known | {"unmatched", "/static/{path}", "/docs/assets/{path}"}
    assert not {r for r in routes if r not in known and "{" not in r and r.startswith("/api/")}
    assert "/api/v1/assets/{asset_id}" in routes


def test_a_failed_job_is_counted_by_the_class_of_its_fault(scene: Scene) -> None:
    _, before = scrape(scene.client, scene.platform)
    with scene.truncated.open("rb") as handle:
        made = scene.client.post(
            "/api/v1/assets", files={"file": ("t.mp4", handle)}, data={"profiles": "proxy"}, headers=scene.editor
        )
    if made.status_code != 201:  # refused at ingest: no job to count
        pytest.fail(f"the truncated clip should ingest and fail its job: {made.status_code} {made.text}")
    job = wait_job(scene.client, made.json()["jobs"][0]["id"], headers=scene.editor)
    assert job["state"] == "failed", job
    _, after = scrape(scene.client, scene.platform)
    assert delta(before, after, "mam_job_failures_total", final="true") == 1
    reasons = {dict(labels)["reason"] for (name, labels), v in after.items() if name == "mam_job_failures_total" and v}
    assert reasons <= set(FAILURE_REASONS)
    assert delta(before, after, "mam_jobs_finished_total", outcome="failed") == 1


def test_faults_are_classed_into_a_bounded_set_of_reasons() -> None:
    assert failure_reason(UnreadableMediaError("x")) == "unreadable_media"
    assert failure_reason(MediaTimeoutError("x")) == "media_timeout"
    assert failure_reason(OutputCheckError("x")) == "output_check"
    assert failure_reason(JobRequestError("x")) == "request"
    assert failure_reason(StorageError("x")) == "storage"
    assert failure_reason(OSError(errno.ENOSPC, "No space left on device")) == "disk_full"
    assert failure_reason(OSError(errno.EACCES, "Permission denied")) == "system"
    assert failure_reason(TimeoutError()) == "time_limit"
    assert failure_reason(ConnectionResetError()) == "network"
    assert failure_reason(ValueError("anything")) == "unexpected"


def test_a_worker_serves_its_own_job_metrics_on_its_port() -> None:
    port = free_port()
    stop = serve_metrics("127.0.0.1", port)
    try:
        METRICS.jobs_started.labels("render", "urgent").inc(0)
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    finally:
        stop()
    assert answer.status_code == 200
    names = {f.name for f in text_string_to_metric_families(answer.text)}
    assert {"mam_jobs_started", "mam_job_duration_seconds", "mam_render_frames_per_second"} <= names
    assert {"mam_job_failures", "mam_job_queue_wait_seconds", "process_cpu_seconds"} <= names
    assert "mam_stored_bytes" not in names  # the catalog's figures are the API's to give


def test_a_worker_that_stopped_answering_is_counted_as_worker_lost(tmp_path: Path) -> None:
    services = open_services(make_settings(tmp_path / "home", MAM_JOB_MAX_ATTEMPTS="2"))
    broker = attach_broker(services)
    try:
        before, again = _lost("true"), _lost("false")
        gone = utcnow() - timedelta(minutes=5)
        with services.session() as session:
            ensure_tenant(session, "province")
            asset = Asset(
                tenant_id="province", title=TITLE, media_kind="video", original_filename="a.mp4",
                original_key="k", size=1, sha256="1" * 64, xxh3="0" * 16,
            )  # fmt: skip
            session.add(asset)
            session.flush()
            last = Job(asset_id=asset.id, state=JobState.RUNNING, attempts=2, lease_until=gone, worker="gone:1")
            first = Job(asset_id=asset.id, state=JobState.RUNNING, attempts=1, lease_until=gone, worker="gone:2")
            first.created_at = first.sent_at = gone - timedelta(minutes=1)  # sent, taken up, then silence
            session.add_all([last, first])
            session.commit()
            last_id = last.id
        sweep(services, broker)
        with services.session() as session:
            failed = session.get(Job, last_id)
            assert failed is not None and failed.state == JobState.FAILED
    finally:
        broker.close()
        services.close()
    assert (_lost("true"), _lost("false")) == (before + 1, again + 1)


def _lost(final: str) -> float:
    found = METRICS.registry.get_sample_value("mam_job_failures_total", {"reason": "worker_lost", "final": final})
    return found or 0.0


def test_bytes_stored_are_summed_again_in_the_background_once_older_than_the_setting(tmp_path: Path) -> None:
    services = open_services(make_settings(tmp_path / "home", MAM_METRICS_STORAGE_SECONDS="1"))

    def add(n: int) -> None:
        with services.session() as session:
            ensure_tenant(session, "county-z")
            session.add(
                Asset(
                    tenant_id="county-z", title=TITLE, media_kind="video", original_filename="a.mp4",
                    original_key=f"k{n}", size=1000, sha256=f"{n:064d}", xxh3="0" * 16,
                )
            )  # fmt: skip
            session.commit()

    try:
        platform = auth_headers(services, "province", "platform")
        add(1)
        with TestClient(create_app(services=services, run_workers=False)) as client:
            _, first = scrape(client, platform)
            add(2)
            _, cached = scrape(client, platform)  # within the second: the last sum
            assert value(first, "mam_stored_bytes", tenant="county-z") == 1000
            assert value(cached, "mam_stored_bytes", tenant="county-z") in (1000, 2000)
            deadline = time.monotonic() + 60
            while value(samples := scrape(client, platform)[1], "mam_stored_bytes", tenant="county-z") != 2000:
                assert time.monotonic() < deadline, "the sum was never taken again"
                time.sleep(0.3)
            assert value(samples, "mam_stored_bytes_age_seconds") >= 0
    finally:
        services.close()
