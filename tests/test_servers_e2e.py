"""End to end on real servers: the API, a `mam worker` process on Redis, SQLite or PostgreSQL,
local disk or S3 (moto's standalone server over HTTP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Media, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.services import Services, open_services
from mam.settings import Settings
from transcode.probe import probe

MAM = Path(sys.executable).parent / "mam"


@dataclass
class Deployment:
    client: TestClient
    services: Services
    worker: subprocess.Popen[bytes]
    storage: str
    log: Path


@pytest.fixture(
    params=[("sqlite", "local"), ("sqlite", "s3"), ("postgres", "local"), ("postgres", "s3")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def deployment(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> Iterator[Deployment]:
    catalog, storage = request.param
    env = {
        "MAM_HOME": str(tmp_path / "home"),
        "MAM_BROKER_URL": redis_url,
        "MAM_BROKER_NAMESPACE": f"mam-test-{uuid.uuid4().hex[:10]}",
        "MAM_JOB_MAX_ATTEMPTS": "2",
    }
    if catalog == "postgres":
        env["MAM_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    if storage == "s3":
        env["MAM_STORAGE_URL"] = f"s3://mam-{uuid.uuid4().hex[:12]}/county-a"
        env["MAM_S3_ENDPOINT_URL"] = request.getfixturevalue("s3_endpoint")
        env["MAM_S3_CREATE_BUCKET"] = "1"
    services = open_services(Settings.from_env(env))
    log = tmp_path / "worker.log"
    with log.open("wb") as sink:
        worker = subprocess.Popen([str(MAM), "worker"], env={**os.environ, **env}, stdout=sink, stderr=sink)
    try:
        with signed_in(TestClient(create_app(services=services, run_workers=False))) as client:
            yield Deployment(client, services, worker, storage, log)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        services.close()


def upload(client: TestClient, path: Path, **fields: str) -> Any:
    with path.open("rb") as handle:
        response = client.post("/api/v1/assets", files={"file": (path.name, handle)}, data=fields)
    assert response.status_code == 201, response.text
    return response.json()


def wait_job(d: Deployment, job_id: str, timeout: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = d.client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        assert d.worker.poll() is None, f"the worker died:\n{d.log.read_text(errors='replace')[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"job not finished in {timeout} s: {job}\n{d.log.read_text(errors='replace')[-3000:]}")


def fetch(d: Deployment, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """GET a rendition as a player would: follow the API's redirect to the object store if any."""
    response = d.client.get(url, headers=headers or {}, follow_redirects=False)
    if d.storage == "s3":
        assert response.status_code == 307, response.text
        return httpx.get(response.headers["location"], headers=headers or {}, timeout=30)
    return response


def test_an_upload_is_rendered_by_a_worker_process_and_served(
    deployment: Deployment, media: Media, tmp_path: Path
) -> None:
    d = deployment
    asset = upload(d.client, media.broadcast, title="县新闻联播", profiles="proxy,poster")
    job = wait_job(d, asset["jobs"][0]["id"])
    assert job["state"] == "done", job["error"]
    body = d.client.get(f"/api/v1/assets/{asset['id']}").json()
    assert body["status"] == "ready"
    assert {r["profile"] for r in body["renditions"]} == {"proxy", "poster"}

    url = f"/api/v1/assets/{asset['id']}/renditions/proxy"
    full = fetch(d, url)
    assert full.status_code == 200
    proxy = tmp_path / "proxy.mp4"
    proxy.write_bytes(full.content)
    info = probe(proxy)
    assert info.video[0].field_order == "progressive" and info.video[0].height == 360
    assert abs(info.video[0].duration - body["duration"]) <= 1 / 25 + 1e-6
    part = fetch(d, url, {"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == full.content[1000:2000]


def test_a_corrupt_file_fails_cleanly_and_the_worker_goes_on_to_the_next_job(
    deployment: Deployment, media: Media
) -> None:
    d = deployment
    bad = upload(d.client, media.truncated, profiles="proxy")
    good = upload(d.client, media.silent, profiles="proxy")
    bad_job = wait_job(d, bad["jobs"][0]["id"])
    good_job = wait_job(d, good["jobs"][0]["id"])
    assert bad_job["state"] == "failed" and "truncated or corrupt" in bad_job["error"]
    assert bad_job["attempts"] == 1
    assert good_job["state"] == "done"
    assert d.client.get(f"/api/v1/assets/{bad['id']}").json()["renditions"] == []
    assert d.worker.poll() is None
