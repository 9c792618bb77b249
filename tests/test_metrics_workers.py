"""Several processes: a real `mam worker` on Redis renders a job the API queued; the worker's own
metrics port counts it (the API process ran nothing), its JSON log lines carry the job's ids, and the
API's /metrics shows the catalog's side (queues empty, bytes stored)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from api_support import wait_job
from conftest import auth_headers
from fastapi.testclient import TestClient
from live_server import free_port
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from mam.services import open_services
from mam.settings import Settings
from transcode import generate

MAM = Path(sys.executable).parent / "mam"


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape_worker(port: int, process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 120
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError("the worker's metrics port never answered: " + log.read_text()[-2000:]) from None
            time.sleep(0.3)


def test_a_worker_process_counts_its_jobs_on_its_own_port_and_logs_them_as_json(tmp_path: Path, redis_url: str) -> None:
    clip = generate.silent_clip(tmp_path / "clip.mp4", seconds=2.0, width=320, height=240)
    namespace = f"mam-metrics-{uuid.uuid4().hex[:10]}"
    env = {
        "MAM_HOME": str(tmp_path / "home"),
        "MAM_BROKER_URL": redis_url,
        "MAM_METRICS_STORAGE_SECONDS": "0",  # bytes summed at each scrape: one is taken before the job
        "MAM_BROKER_NAMESPACE": namespace,
        "MAM_LOG_FORMAT": "json",
    }
    services = open_services(Settings.from_env(env))
    editor, platform = auth_headers(services, "county-a", "editor"), auth_headers(services, "province", "platform")
    port, log = free_port(), tmp_path / "worker.log"
    with log.open("wb") as sink:
        worker = subprocess.Popen(
            [str(MAM), "worker", "--metrics-port", str(port)], env={**os.environ, **env}, stdout=sink, stderr=sink
        )
    try:
        assert "mam_jobs_finished" in _scrape_worker(port, worker, log)
        with TestClient(create_app(services=services, run_workers=False)) as client:
            # this process's counters may hold jobs other tests ran in it: what counts is what changes
            api_before = _samples(client.get("/metrics", headers=platform).text)
            with clip.open("rb") as handle:
                made = client.post(
                    "/api/v1/assets", files={"file": ("c.mp4", handle)}, data={"profiles": "proxy"}, headers=editor
                )
            assert made.status_code == 201, made.text
            asset, job_id = made.json()["id"], made.json()["jobs"][0]["id"]
            assert wait_job(client, job_id, timeout=300, headers=editor)["state"] == "done"
            worker_side = _samples(_scrape_worker(port, worker, log))
            api_text = client.get("/metrics", headers=platform).text
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        services.close()

    done = frozenset({("kind", "render"), ("lane", "normal"), ("outcome", "done")})
    assert worker_side[("mam_jobs_finished_total", done)] == 1
    assert worker_side[("mam_render_frames_total", frozenset({("profile", "proxy")}))] == 50
    assert worker_side[("mam_render_frames_per_second_count", frozenset({("profile", "proxy")}))] == 1
    assert worker_side[("mam_job_queue_wait_seconds_count", frozenset({("lane", "normal")}))] == 1
    api_side = _samples(api_text)
    assert api_side[("mam_jobs", frozenset({("lane", "normal"), ("state", "queued")}))] == 0
    assert api_side[("mam_stored_bytes", frozenset({("tenant", "county-a"), ("kind", "rendition")}))] > 0
    finished = ("mam_jobs_finished_total", done)
    assert api_side.get(finished, 0) == api_before.get(finished, 0)  # the API process ran no job

    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    start = next(line for line in lines if line.get("event") == "worker.start")
    assert start["metrics"] == f"127.0.0.1:{port}" and start["broker"].startswith("redis://")
    ended = [line for line in lines if line.get("event") == "job.end"]
    assert [(e["job"], e["asset"], e["tenant"], e["outcome"], e["frames"]) for e in ended] == [
        (job_id, asset, "county-a", "done", 50)
    ]
    assert ended[0]["worker"].endswith(f":{worker.pid}")
