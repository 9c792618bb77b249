"""Lanes in one process: chosen at every request, kept on the job, listed by, and the slot's claim
(the highest lane's claimable job first); light work on its own threads beside a render.

The same with real `mam worker` processes on Redis and RabbitMQ: tests/test_worker_lanes.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from api_support import upload
from conftest import Media, catalog_asset, signed_in
from dramatiq import Broker
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli
from mam.catalog import ensure_tenant
from mam.errors import JobRequestError
from mam.ingest import ingest_file
from mam.jobs import JobPolicy, cancel_job, fail_job, request_export, request_renditions
from mam.jobs.lanes import LANES, Lane, claim_next, parse_lanes, waiting_job
from mam.jobs.queries import list_jobs
from mam.models import Job, JobState, utcnow
from mam.services import Services
from mam.tus import encode_metadata
from mam.watch.config import WatchConfig
from transcode import generate
from workers.actors import declare_light_actor
from workers.runtime import JobRunner, attach_broker, attach_light_broker


def _jobs(services: Services, lanes: list[str]) -> list[str]:
    """One queued job per lane given, a minute apart (oldest first), on one catalogued asset."""
    start = utcnow() - timedelta(hours=1)
    with services.session() as session:
        ensure_tenant(session, "a")
        asset = catalog_asset("a", 1, "防汛")
        made = [Job(asset=asset, lane=lane, created_at=start + timedelta(minutes=n)) for n, lane in enumerate(lanes)]
        session.add_all(made)
        session.commit()
        return [j.id for j in made]


def test_a_free_slot_claims_the_oldest_job_of_the_highest_lane_it_takes_instead_of_the_one_offered(
    services: Services,
) -> None:
    bulk, normal, urgent_old, urgent_new = _jobs(services, ["bulk", "normal", "urgent", "urgent"])
    policy = JobPolicy()
    with services.session() as session:
        first = claim_next(session, urgent_new, LANES, policy, "w1")  # within a lane: the oldest first
        assert first is not None and first.id == urgent_old and first.state == JobState.RUNNING
        second = claim_next(session, bulk, LANES, policy, "w1")
        assert second is not None and second.id == urgent_new
        # a slot that does not take normal work passes normal over, and takes the bulk job it was offered
        third = claim_next(session, bulk, (Lane.BULK,), policy, "w2")
        assert third is not None and third.id == bulk
        fourth = claim_next(session, bulk, LANES, policy, "w1")  # bulk is running: normal is what waits
        assert fourth is not None and fourth.id == normal
        assert claim_next(session, normal, LANES, policy, "w1") is None  # nothing left to run
        assert [j.attempts for j in session.query(Job).order_by(Job.created_at)] == [1, 1, 1, 1]


def test_a_job_in_its_backoff_is_not_claimed_ahead_and_the_idle_look_finds_the_best_unsent_job(
    services: Services,
) -> None:
    normal, urgent = _jobs(services, ["normal", "urgent"])
    policy = JobPolicy()
    with services.session() as session:
        job = session.get(Job, urgent)
        assert job is not None
        job.retry_at = utcnow() + timedelta(minutes=5)  # a passing fault's backoff
        for each in session.query(Job):
            each.sent_at = utcnow() - timedelta(seconds=5)
        session.commit()
        seen = waiting_job(session, LANES, policy, utcnow() - timedelta(seconds=1))
        assert seen is not None and seen.id == normal
        assert waiting_job(session, (Lane.URGENT,), policy, utcnow()) is None
        claimed = claim_next(session, normal, LANES, policy, "w1")
        assert claimed is not None and claimed.id == normal


def test_lanes_are_parsed_most_urgent_first_and_an_unknown_one_is_refused() -> None:
    assert parse_lanes("bulk, URGENT,bulk") == (Lane.URGENT, Lane.BULK)
    assert [lane.rank for lane in LANES] == [0, 1, 2]
    with pytest.raises(JobRequestError, match="urgent, normal or bulk"):
        parse_lanes("urgent,express")
    folder = WatchConfig.model_validate({"folder": [{"path": "/srv/drop/archive", "lane": "bulk"}]}).folder[0]
    assert folder.lane == Lane.BULK
    with pytest.raises(ValueError):
        WatchConfig.model_validate({"folder": [{"path": "/srv/drop/x", "lane": "express"}]})


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(services=services, run_workers=False))) as c:
        yield c


def test_the_lane_is_chosen_at_upload_renditions_export_and_retry_and_jobs_are_listed_by_lane(
    client: TestClient, media: Media
) -> None:
    created = upload(client, media.silent, profiles="poster", lane="urgent")
    assert created.status_code == 201, created.text
    asset = created.json()
    assert [j["lane"] for j in asset["jobs"]] == ["urgent"]
    later = client.post(f"/api/v1/assets/{asset['id']}/renditions", json={"profiles": ["proxy"], "lane": "bulk"})
    assert later.status_code == 202 and later.json()["job"]["lane"] == "bulk"
    export = client.post(f"/api/v1/assets/{asset['id']}/exports", json={"profile": "proxy", "end": 1})
    assert export.status_code == 202 and export.json()["lane"] == "normal"
    urgent = client.get("/api/v1/jobs", params={"lane": "urgent"}).json()
    assert [j["lane"] for j in urgent["items"]] == ["urgent"] and urgent["total"] == 1
    both = client.get("/api/v1/jobs", params={"lane": ["bulk", "normal"]}).json()
    assert sorted(j["lane"] for j in both["items"]) == ["bulk", "normal"]
    assert client.get("/api/v1/jobs", params={"lane": "express"}).status_code == 422
    refused = client.post(f"/api/v1/assets/{asset['id']}/renditions", json={"profiles": ["vertical"], "lane": "x"})
    assert refused.status_code == 422
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    with services.session() as session:
        for job in session.query(Job).filter(Job.asset_id == asset["id"], Job.kind == "render"):
            fail_job(session, job.id, "a test failure")
    retried = client.post(f"/api/v1/assets/{asset['id']}/retry", json={"lane": "urgent"})
    assert retried.status_code == 202 and retried.json()["job"]["lane"] == "urgent"
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["JobLane"]["enum"] == ["urgent", "normal", "bulk"]


def test_ingest_render_and_export_take_a_lane_in_process_and_on_the_command_line(
    services: Services, media: Media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = ingest_file(services, media.silent, profiles=["poster"], lane="bulk").asset
    with services.session() as session:
        asked = request_renditions(services, session, "default", asset.id, ["proxy"], lane="urgent")
        assert asked.job is not None and asked.job.lane == "urgent"
        export = request_export(services, session, "default", asset.id, "proxy", 0, 1)
        assert export.lane == "normal"
        assert [j.lane for j in list_jobs(session, "default", lanes=[Lane.BULK]).items] == ["bulk"]
    monkeypatch.setenv("MAM_HOME", str(services.settings.home))
    monkeypatch.setenv("MAM_DATABASE_URL", services.settings.database_url)
    wav = tmp_path / "urgent.wav"
    generate.audio_clip(wav, seconds=1.0)
    result = CliRunner().invoke(cli, ["ingest", str(wav), "-p", "radio", "--lane", "urgent", "--json"])
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(cli, ["ingest", str(wav), "--lane", "express"])
    assert refused.exit_code == 2 and "urgent, normal or bulk" in refused.output
    with services.session() as session:
        assert sorted(j.lane for j in list_jobs(session, "default", lanes=[Lane.URGENT]).items) == ["urgent", "urgent"]
    help_text = CliRunner().invoke(cli, ["worker", "--help"]).output
    assert "--lanes" in help_text and "--concurrency" in help_text and "--grace" in help_text


def test_light_work_runs_on_its_own_threads_while_every_heavy_slot_renders(
    sqlite_services: Services, tmp_path: Path
) -> None:
    services = sqlite_services
    clip = generate.silent_clip(tmp_path / "long.mp4", seconds=20.0, width=320, height=240)
    delivered = threading.Event()

    def notify(text: str) -> None:
        delivered.set()

    def declare(broker: Broker, _: Services) -> None:
        declare_light_actor(broker, services, notify, "notify")

    light = attach_light_broker(services, [declare])
    runner = JobRunner(services, attach_broker(services), threads=1, light=light, light_threads=1)
    runner.start(resend=False)
    try:
        job = ingest_file(services, clip, profiles=["proxy"]).job
        assert job is not None
        deadline = utcnow() + timedelta(seconds=120)
        # the catalog says running a moment before the runner counts the attempt: wait for both
        while utcnow() < deadline and not (
            _state(services, job.id) == JobState.RUNNING and runner.attempts.running == 1
        ):
            threading.Event().wait(0.1)
        assert _state(services, job.id) == JobState.RUNNING and runner.attempts.running == 1
        light.get_actor("notify").send("a webhook delivery")
        assert delivered.wait(60)
        assert _state(services, job.id) == JobState.RUNNING  # the one heavy slot is still rendering
    finally:
        with services.session() as session:
            cancel_job(session, "default", job.id)
        runner.stop(grace=30)


def _state(services: Services, job_id: str) -> str:
    with services.session() as session:
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        return job.state


def test_a_tus_upload_names_its_lane_in_its_metadata_and_an_unknown_lane_is_refused_before_any_byte(
    client: TestClient, media: Media
) -> None:
    tus = {"Tus-Resumable": "1.0.0"}
    data = media.wav.read_bytes()

    def create(**metadata: str) -> httpx.Response:
        headers = {**tus, "Upload-Length": str(len(data)), "Upload-Metadata": encode_metadata(metadata)}
        return client.post("/api/v1/uploads", headers=headers)

    assert create(filename="x.wav", lane="express").status_code == 422
    made = create(filename="radio.wav", profiles="proxy", lane="urgent")
    assert made.status_code == 201, made.text
    octets = {**tus, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    done = client.patch(made.headers["Location"], content=data, headers=octets)
    assert done.status_code == 204
    asset = client.get(done.headers["mam-asset-location"]).json()
    assert [j["lane"] for j in asset["jobs"]] == ["urgent"]
