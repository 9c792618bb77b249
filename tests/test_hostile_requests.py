"""Bad names and an overloaded server get honest answers: 4xx for the client's fault, 503 + Retry-After
for being busy, and no internal storage key or filesystem path in any answer."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import hostile_media
import pytest
from api_support import upload, wait_job
from conftest import Media, make_settings, signed_in
from fastapi.testclient import TestClient
from watch_support import assets_of, watchers

from api.app import create_app
from mam.services import Services, open_services
from mam.watch import WatchFolder
from transcode import generate
from transcode.sandbox import Prober


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path / "home"))
    try:
        yield svc
    finally:
        svc.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(services=services))) as c:
        yield c


def _no_secrets(text: str, services: Services) -> None:
    text = text.replace("/api/v1/assets/", "/api/v1/…/")  # the API's own URLs are no storage key
    for secret in ("/assets/", str(services.settings.home), services.storage.url, "Error:"):
        assert secret not in text, f"{secret!r} in {text!r}"


def test_a_probe_that_runs_out_of_time_is_busy_503_with_retry_after_not_bad_media(
    client: TestClient, services: Services, media: Media
) -> None:
    services.prober.close()
    services.prober = Prober(timeout=0.0001)  # what an overloaded machine does to a probe
    busy = upload(client, media.wav)
    assert busy.status_code == 503, busy.text
    assert int(busy.headers["retry-after"]) > 0
    assert "too busy" in busy.json()["detail"] and "not a media" not in busy.json()["detail"]
    assert client.get("/api/v1/assets").json()["total"] == 0
    services.prober.timeout = 30  # the machine is quiet again: the same file is media after all
    assert upload(client, media.wav).status_code == 201


def test_rendition_parts_with_backslashes_nul_or_dot_dot_are_not_found_and_name_no_key(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    clip = generate.silent_clip(tmp_path / "b-roll.mp4", seconds=0.5, width=160, height=96)
    asset = upload(client, clip, profiles="proxy").json()
    assert wait_job(client, asset["jobs"][0]["id"])["state"] == "done"
    for part in ("a%5Cb.m4s", "seg%00.m4s", "..%2F..%2Foriginal%2Fb-roll.mp4", "x/%2E%2E/y", "no-such.m4s"):
        answer = client.get(f"/api/v1/assets/{asset['id']}/renditions/proxy/{part}")
        assert answer.status_code == 404, (part, answer.status_code, answer.text)
        _no_secrets(answer.text, services)


def test_a_stored_file_gone_missing_is_reported_without_its_key_or_path(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    clip = generate.silent_clip(tmp_path / "b-roll.mp4", seconds=0.5, width=160, height=96)
    asset = upload(client, clip, profiles="proxy").json()
    assert wait_job(client, asset["jobs"][0]["id"])["state"] == "done"
    (rendition,) = client.get(f"/api/v1/assets/{asset['id']}").json()["renditions"]
    for file in Path(services.storage.url).rglob("*.mp4"):
        if "renditions" in file.parts:
            file.unlink()
    answer = client.get(f"/api/v1/assets/{asset['id']}/renditions/{rendition['profile']}")
    assert answer.status_code >= 400
    _no_secrets(answer.text, services)


@pytest.mark.parametrize("name", ["..", ".", "a\\..\\..\\b.wav", "nul\x00.wav"])
def test_an_original_named_dot_dot_or_with_separators_is_stored_safely(
    client: TestClient, services: Services, media: Media, name: str
) -> None:
    answer = upload(client, media.wav, name=name)
    assert answer.status_code == 201, answer.text
    _no_secrets(answer.text, services)


def test_picture_and_duration_bombs_are_refused_or_cut_to_what_the_streams_hold(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    for side, words in ((30000, "has no size (0×0)"), (12000, "larger than the 8192 pixels")):
        refused = upload(client, hostile_media.picture_bomb(tmp_path / f"bomb{side}.mov", side))
        assert refused.status_code == 422 and words in refused.json()["detail"], refused.text
        assert not hostile_media.PYTHON_ERROR.search(refused.text)
    long = upload(client, hostile_media.duration_bomb(tmp_path / "claims-3-years.mkv"), profiles="proxy")
    assert long.status_code == 201, long.text
    assert abs(long.json()["duration"] - 2.0) < 0.1
    assert wait_job(client, long.json()["jobs"][0]["id"])["state"] == "done"


def test_a_watched_file_met_by_a_busy_probe_stays_to_be_tried_again_not_failed(
    tmp_path: Path, services: Services
) -> None:
    services.prober.close()
    services.prober = Prober(timeout=0.0001)
    drop = tmp_path / "drop"
    drop.mkdir()
    watched = WatchFolder(path=drop, quiet_seconds=0.2, after="move", profiles=("proxy",))
    with watchers(services) as start:
        start(watched)
        shutil.copy(generate.audio_clip(tmp_path / "bulletin.wav", seconds=0.2), drop / "bulletin.wav")
        time.sleep(2.0)  # several quiet periods: each try meets the busy probe
        assert (drop / "bulletin.wav").exists() and not (drop / "failed").exists()
        services.prober.timeout = 30  # quiet again: the next try ingests it
        deadline = time.monotonic() + 30
        while (drop / "bulletin.wav").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not (drop / "failed").exists()
    assert [a.original_filename for a in assets_of(services)] == ["bulletin.wav"]
