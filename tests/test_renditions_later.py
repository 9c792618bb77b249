"""Renditions asked for later: only what an asset lacks is queued (API, ``mam render``, a duplicate
ingest), a failed or cancelled asset is retried, and a CLI run that could not make a profile says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import wait_job
from conftest import Media, make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.ingest import ingest_file
from mam.services import Services

MAM = Path(sys.executable).parent / "mam"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(home)
    env["COLUMNS"] = "1000"
    return subprocess.run([str(MAM), *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(make_settings(tmp_path / "home")))) as c:
        yield c


@pytest.fixture
def idle(tmp_path: Path) -> Iterator[TestClient]:
    """The API with no workers: queued jobs stay queued."""
    with signed_in(TestClient(create_app(make_settings(tmp_path / "home"), run_workers=False))) as c:
        yield c


def upload(client: TestClient, path: Path, profiles: str) -> dict[str, Any]:
    with path.open("rb") as handle:
        answer = client.post("/api/v1/assets", files={"file": handle}, data={"profiles": profiles})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_renditions_asked_for_later_queue_only_what_the_asset_lacks(client: TestClient, media: Media) -> None:
    asset = upload(client, media.silent, "proxy")
    assert wait_job(client, asset["jobs"][0]["id"])["state"] == "done"
    url = f"/api/v1/assets/{asset['id']}/renditions"

    asked = client.post(url, json={"profiles": ["proxy", "poster"]})
    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert body["queued"] == ["poster"] and body["present"] == ["proxy"] and body["job"]["profiles"] == ["poster"]
    again = client.post(url, json={"profiles": ["poster"]})  # queued or made meanwhile: never twice
    assert again.status_code == 200 and again.json()["job"] is None
    assert again.json()["pending"] + again.json()["present"] == ["poster"]

    assert wait_job(client, body["job"]["id"])["state"] == "done"
    renditions = client.get(f"/api/v1/assets/{asset['id']}").json()["renditions"]
    assert sorted(r["profile"] for r in renditions) == ["poster", "proxy"]
    done = client.post(url, json={"profiles": ["poster", "proxy"]})
    assert done.status_code == 200 and done.json()["present"] == ["poster", "proxy"] and done.json()["queued"] == []


def test_renditions_of_an_unknown_or_inapplicable_profile_are_refused_with_nothing_queued(
    idle: TestClient, media: Media
) -> None:
    asset = upload(idle, media.wav, "proxy")
    url = f"/api/v1/assets/{asset['id']}/renditions"
    unknown = idle.post(url, json={"profiles": ["radio", "hd_master"]})
    assert unknown.status_code == 422 and "unknown profile 'hd_master'" in unknown.json()["detail"]
    picture = idle.post(url, json={"profiles": ["vertical"]})
    assert picture.status_code == 422 and "vertical is not made from audio sources" in picture.json()["detail"]
    assert idle.post(url, json={"profiles": []}).status_code == 422
    assert idle.get("/api/v1/jobs").json()["total"] == 1  # the upload's own


def test_a_cancelled_asset_is_retried_with_a_new_job_and_the_old_keeps_its_reason(
    idle: TestClient, media: Media
) -> None:
    asset = upload(idle, media.wav, "proxy,radio")
    url = f"/api/v1/assets/{asset['id']}/retry"
    nothing = idle.post(url)
    assert nothing.status_code == 409 and "no failed or cancelled render" in nothing.json()["detail"]
    first = asset["jobs"][0]["id"]
    assert idle.post(f"/api/v1/jobs/{first}/cancel").json()["state"] == "cancelled"
    assert idle.get(f"/api/v1/assets/{asset['id']}").json()["status"] == "failed"

    retried = idle.post(url)
    assert retried.status_code == 202, retried.text
    job = retried.json()["job"]
    assert job["id"] != first and job["profiles"] == ["proxy", "radio"] and job["state"] == "queued"
    view = idle.get(f"/api/v1/assets/{asset['id']}").json()
    assert view["status"] == "processing" and view["error"] is None
    assert idle.get(f"/api/v1/jobs/{first}").json()["error"] == "cancelled on request"
    twice = idle.post(url)
    assert twice.status_code == 200 and twice.json()["pending"] == ["proxy", "radio"]


def test_ingesting_content_already_held_queues_the_requested_profiles_it_lacks(
    sqlite_services: Services, media: Media, tmp_path: Path
) -> None:
    sent: list[str] = []
    sqlite_services.enqueue = sent.append
    first = ingest_file(sqlite_services, media.silent, profiles=["proxy"])
    copy = tmp_path / "the same clip again.mp4"
    copy.write_bytes(media.silent.read_bytes())
    again = ingest_file(sqlite_services, copy, profiles=["proxy", "poster"])
    assert again.duplicate and again.asset.id == first.asset.id
    assert again.job is not None and again.job.profiles == ["poster"] and again.queued_profiles == ("poster",)
    assert sent == [first.job.id if first.job else "", again.job.id]
    third = ingest_file(sqlite_services, copy, profiles=["poster"])  # on its way already
    assert third.duplicate and third.job is None and third.queued_profiles == ()


def _spoil_original(home: Path) -> None:
    (original,) = [p for p in (home / "storage").rglob("*") if p.is_file() and "/original/" in p.as_posix()]
    original.write_bytes(b"\0" * 4096)


def test_mam_render_queues_what_is_missing_and_a_profile_it_could_not_make_exits_1(
    tmp_path: Path, media: Media
) -> None:
    home = tmp_path / "home"
    ingested = run(home, "ingest", str(media.silent), "-p", "proxy", "--wait", "--json")
    assert ingested.returncode == 0, ingested.stderr
    asset_id = json.loads(ingested.stdout)[0]["asset"]["id"]

    made = run(home, "render", asset_id, "-p", "proxy", "-p", "poster", "--wait", "--json")
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    assert report["queued"] == ["poster"] and report["present"] == ["proxy"] and report["unmade"] == []
    assert sorted(r["profile"] for r in report["asset"]["renditions"]) == ["poster", "proxy"]
    refused = run(home, "render", asset_id, "-p", "hd_master")
    assert refused.returncode == 2 and "unknown profile 'hd_master'" in refused.stderr

    _spoil_original(home)  # the stored original is damaged: what is made from it now fails
    spoiled = run(home, "render", asset_id, "-p", "poster", "-p", "web_720p", "--wait")
    assert spoiled.returncode == 1
    assert "already made: poster" in spoiled.stdout
    (line,) = [line for line in spoiled.stderr.splitlines() if "was not made" in line]
    assert line.startswith("✗ web_720p was not made: its job ") and " is failed: " in line

    again = run(home, "ingest", str(media.silent), "-p", "proxy", "-p", "vertical", "--wait")
    assert again.returncode == 1  # a duplicate: vertical is queued on the asset, and cannot be made either
    assert f"✗ {media.silent.name}: vertical was not made: its job " in again.stderr
