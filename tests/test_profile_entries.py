"""One profile name walked through every entry: an unknown or inapplicable profile, and an export's bad
in/out points, are refused at the request, before any byte is stored or any job queued, with the reason.

Entries: the API's multipart upload, tus, ``mam ingest``, a watch folder, and exports (API and CLI).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import Media, auth_headers, make_settings, signed_in
from fastapi.testclient import TestClient
from live_server import live_server
from sqlalchemy import func, select

from api.app import create_app
from mam.errors import ConfigError
from mam.models import Asset, Job
from mam.services import Services, open_services
from mam.tus import encode_metadata
from mam.watch import Handled, WatchConfig, WatchFolder, WatchRunner, load_watch_config

MAM = Path(sys.executable).parent / "mam"
TUS = {"Tus-Resumable": "1.0.0"}
UNKNOWN = "unknown profile 'hd_master'; available: "


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    """The API with no workers: what a request queues stays queued, to be counted."""
    with signed_in(TestClient(create_app(make_settings(home), run_workers=False))) as c:
        yield c


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def kept(home: Path) -> dict[str, Any]:
    """What the server holds: stored files, files in the work folder (uploads, tus), assets and jobs."""
    services = open_services(make_settings(home))
    try:
        with services.session() as session:
            assets = session.scalar(select(func.count()).select_from(Asset))
            jobs = session.scalar(select(func.count()).select_from(Job))
    finally:
        services.close()
    stored = [p for p in (home / "storage").rglob("*") if p.is_file()]
    work = [p for p in (home / "work").rglob("*") if p.is_file()]
    return {"stored": stored, "work": work, "assets": assets, "jobs": jobs}


NOTHING = {"stored": [], "work": [], "assets": 0, "jobs": 0}


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(home)
    env["COLUMNS"] = "1000"  # messages on one line each
    return subprocess.run([str(MAM), *args], env=env, capture_output=True, text=True, timeout=300)


# --- the API's multipart upload ---------------------------------------------------------------------


def test_multipart_refuses_an_unknown_profile_before_the_file_is_copied_or_probed(
    client: TestClient, home: Path, media: Media
) -> None:
    with media.wav.open("rb") as handle:
        answer = client.post("/api/v1/assets", files={"file": handle}, data={"profiles": "proxy,hd_master"})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(UNKNOWN) and "vertical" in answer.json()["detail"]
    with media.wav.open("rb") as handle:  # the same, asked in the query (read before the form)
        answer = client.post("/api/v1/assets?profiles=hd_master", files={"file": handle})
    assert answer.status_code == 422 and answer.json()["detail"].startswith(UNKNOWN)
    assert kept(home) == NOTHING


def test_multipart_refuses_a_profile_the_file_cannot_feed_once_probed_and_stores_nothing(
    client: TestClient, home: Path, media: Media
) -> None:
    with media.wav.open("rb") as handle:
        answer = client.post("/api/v1/assets", files={"file": handle}, data={"profiles": "proxy,vertical"})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "vertical is not made from audio sources; this audio source can have: " in detail, detail
    assert "radio" in detail and "web_720p" not in detail
    assert kept(home) == NOTHING


def _answer(sock: socket.socket) -> str:
    """One HTTP answer read whole (headers, then Content-Length bytes), the connection left open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536) or b"!"  # a closed connection ends the headers too
    head, _, body = received.partition(b"\r\n\r\n")
    length = next((int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")), 0)
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return (head + b"\r\n\r\n" + body).decode()


def test_multipart_with_profiles_in_the_query_is_refused_before_the_file_is_sent(home: Path) -> None:
    """A real server answers from the headers alone: the 50 MB body announced is never sent."""
    app = create_app(make_settings(home, MAM_MAX_UPLOAD_MB="100"), run_workers=False)
    with live_server(app) as base:
        parts = urlsplit(base)
        assert parts.hostname is not None and parts.port is not None
        key = auth_headers(app.state.services)["Authorization"]
        head = (
            f"POST /api/v1/assets?profiles=proxy,hd_master HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: {key}\r\n"
            "Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: 50000000\r\n\r\n"
        )
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(head.encode())  # the headers only: the answer must not wait for the body
            answer = _answer(sock)
    assert answer.startswith("HTTP/1.1 422"), answer
    assert UNKNOWN in answer
    assert kept(home) == NOTHING


# --- tus ---------------------------------------------------------------------------------------------


def test_tus_refuses_an_unknown_profile_at_creation_before_any_byte_is_sent(client: TestClient, home: Path) -> None:
    metadata = encode_metadata({"filename": "radio.wav", "profiles": "proxy,hd_master"})
    answer = client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "1000", "Upload-Metadata": metadata})
    assert answer.status_code == 422 and "Location" not in answer.headers
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"].startswith(UNKNOWN)
    assert answer.headers["Tus-Resumable"] == "1.0.0"
    assert kept(home) == NOTHING


def test_tus_refuses_a_profile_the_file_cannot_feed_at_completion_and_keeps_nothing(
    client: TestClient, home: Path, media: Media
) -> None:
    data = media.wav.read_bytes()
    metadata = encode_metadata({"filename": "radio.wav", "profiles": "vertical"})
    made = client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": metadata})
    assert made.status_code == 201  # whether vertical applies needs the file's probe
    done = client.patch(
        made.headers["Location"],
        content=data,
        headers={**TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
    )
    assert done.status_code == 422 and "vertical is not made from audio sources" in done.json()["detail"]
    assert kept(home) == NOTHING


# --- mam ingest ----------------------------------------------------------------------------------------


def test_mam_ingest_refuses_an_unknown_profile_before_reading_any_file(tmp_path: Path, home: Path) -> None:
    missing = tmp_path / "not-there.mxf"  # were it read (hashed, probed) first, it would fail as missing
    result = run(home, "ingest", str(missing), "-p", "proxy", "-p", "hd_master")
    assert result.returncode == 2
    assert UNKNOWN in result.stderr and "not-there" not in result.stderr
    assert kept(home) == NOTHING


def test_mam_ingest_refuses_a_profile_the_file_cannot_feed_and_stores_nothing(home: Path, media: Media) -> None:
    result = run(home, "ingest", str(media.wav), "-p", "vertical", "--json")
    assert result.returncode == 1
    (report,) = json.loads(result.stdout)
    assert report["asset"] is None and "vertical is not made from audio sources" in report["error"]
    assert kept(home) == NOTHING


# --- watch folders -------------------------------------------------------------------------------------


def test_a_watch_folder_naming_an_unknown_profile_is_refused_at_load_and_picks_nothing_up(
    tmp_path: Path, home: Path, media: Media
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "radio.wav").write_bytes(media.wav.read_bytes())
    home.mkdir(parents=True, exist_ok=True)
    config = home / "watch.toml"  # where `mam watch` looks by default
    config.write_text(f'[[folder]]\npath = "{drop}"\nprofiles = ["proxy", "hd_master"]\n', encoding="utf-8")
    services = open_services(make_settings(home))
    try:
        with pytest.raises(ConfigError, match=f"watch folder {drop}: {UNKNOWN}"):
            WatchRunner(services, load_watch_config(config))
    finally:
        services.close()
    result = run(home, "watch")
    assert result.returncode != 0 and UNKNOWN in result.stderr
    assert (drop / "radio.wav").exists() and not (drop / "failed").exists()
    assert kept(home) == NOTHING


def test_a_watch_folder_s_list_is_made_where_it_applies(
    tmp_path: Path, sqlite_services: Services, media: Media
) -> None:
    """A folder's profiles are for every file dropped in it: a WAV gets proxy, and vertical is skipped."""
    drop = tmp_path / "drop"
    drop.mkdir()
    folder = WatchFolder(path=drop, quiet_seconds=0.05, profiles=("proxy", "vertical"))
    runner = WatchRunner(sqlite_services, WatchConfig(poll_seconds=0.05, folder=(folder,)))
    (drop / "radio.wav").write_bytes(media.wav.read_bytes())
    handled: list[Handled] = []
    for _ in range(200):
        handled += runner.poll_once()
        if handled:
            break
        time.sleep(0.05)
    assert [h.outcome for h in handled] == ["ingested"]
    with sqlite_services.session() as session:
        assert session.scalars(select(Job.profiles)).all() == [["proxy"]]


def test_a_file_a_watch_folder_s_list_has_nothing_for_is_refused_at_pick_up_before_storing(
    tmp_path: Path, home: Path, media: Media
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    folder = WatchFolder(path=drop, quiet_seconds=0.05, profiles=("vertical", "poster"))
    services = open_services(make_settings(home))
    try:
        runner = WatchRunner(services, WatchConfig(poll_seconds=0.05, folder=(folder,)))
        (drop / "radio.wav").write_bytes(media.wav.read_bytes())
        handled: list[Handled] = []
        for _ in range(200):
            handled += runner.poll_once()
            if handled:
                break
            time.sleep(0.05)
    finally:
        services.close()
    assert [h.outcome for h in handled] == ["failed"]
    reason = handled[0].reason or ""
    assert reason.startswith("none of vertical, poster can be made from this audio source; ") and "proxy" in reason
    assert (drop / "failed" / "radio.wav").exists()
    assert kept(home) == NOTHING


# --- exports -------------------------------------------------------------------------------------------


@pytest.fixture
def broadcast(client: TestClient, media: Media) -> str:
    """A 2 s 1080i50 clip whose timecode starts at 10:00:00:00, catalogued with its render queued."""
    with media.broadcast.open("rb") as handle:
        answer = client.post("/api/v1/assets", files={"file": handle}, data={"profiles": "poster"})
    assert answer.status_code == 201, answer.text
    asset_id: str = answer.json()["id"]
    return asset_id


VALID = "the source runs from 10:00:00:00 to 10:00:02:00 (0 to 2.0"


@pytest.mark.parametrize(
    ("request_body", "says"),
    [
        ({"profile": "hd_master"}, UNKNOWN),
        ({"profile": "proxy", "start": "10:00:99:00"}, "its seconds must be below 60"),
        ({"profile": "proxy", "start": "10:00:00:25"}, "its frames must be below 25"),
        ({"profile": "proxy", "start": "10:00:01:10", "end": "10:00:00:20"}, "must come before the out-point"),
        ({"profile": "proxy", "start": 1.5, "end": 9}, "is not inside the source"),
        ({"profile": "proxy", "start": "09:59:00:00"}, "before the clip's first timecode"),
    ],
)
def test_an_export_is_checked_at_the_request_and_queues_nothing_when_refused(
    client: TestClient, broadcast: str, request_body: dict[str, Any], says: str
) -> None:
    services = services_of(client)
    with services.session() as session:
        before = session.scalar(select(func.count()).select_from(Job))
    answer = client.post(f"/api/v1/assets/{broadcast}/exports", json=request_body)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert says in detail
    if says != UNKNOWN:
        assert VALID in detail
    with services.session() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == before


def test_an_export_of_a_profile_the_source_cannot_feed_is_refused(client: TestClient, media: Media) -> None:
    with media.wav.open("rb") as handle:
        asset = client.post("/api/v1/assets", files={"file": handle}, data={"profiles": "proxy"}).json()
    answer = client.post(f"/api/v1/assets/{asset['id']}/exports", json={"profile": "web_720p"})
    assert answer.status_code == 422
    assert "web_720p is not made from audio sources; this audio source can have: " in answer.json()["detail"]
    assert [j["kind"] for j in client.get("/api/v1/jobs").json()["items"]] == ["render"]


def test_mam_export_says_the_same_as_the_api_and_queues_nothing(home: Path, media: Media) -> None:
    ingested = run(home, "ingest", str(media.broadcast), "-p", "poster", "--json")
    asset_id = json.loads(ingested.stdout)[0]["asset"]["id"]
    for args, says in (
        (["-p", "hd_master"], UNKNOWN),
        (["-p", "proxy", "--in", "10:00:99:00"], "its seconds must be below 60"),
        (["-p", "proxy", "--in", "1.5", "--out", "1.0"], "must come before the out-point"),
    ):
        result = run(home, "export", asset_id, *args)
        assert result.returncode == 2, result.stderr
        assert says in result.stderr, result.stderr
    assert kept(home)["jobs"] == 1  # the ingest's render, queued; no export
