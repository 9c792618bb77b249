"""The HTTP API on the embedded default: in-process dramatiq worker, SQLite, local storage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import upload, wait_job
from conftest import Media, client_headers, make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.services import open_services


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path / "home"))
    with signed_in(TestClient(app)) as c:
        yield c


def test_an_upload_is_rendered_in_process_and_served_with_byte_ranges(client: TestClient, media: Media) -> None:
    response = upload(client, media.phone, title="手机竖拍", tags="民生, 街采", profiles="proxy,poster")
    assert response.status_code == 201, response.text
    asset = response.json()
    assert response.headers["location"] == f"/api/v1/assets/{asset['id']}"
    assert asset["tags"] == ["民生", "街采"] and asset["probe"]["video"][0]["rotation"] == 90
    job = wait_job(client, asset["jobs"][0]["id"])
    assert job["state"] == "done" and job["progress"] == 1.0
    body = client.get(f"/api/v1/assets/{asset['id']}").json()
    assert body["status"] == "ready"
    assert {r["profile"] for r in body["renditions"]} == {"proxy", "poster"}

    full = client.get(f"/api/v1/assets/{asset['id']}/renditions/proxy")
    assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
    size = len(full.content)
    part = client.get(f"/api/v1/assets/{asset['id']}/renditions/proxy", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == full.content[100:1100]
    tail = client.get(f"/api/v1/assets/{asset['id']}/renditions/proxy", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == full.content[-10:]
    beyond = client.get(f"/api/v1/assets/{asset['id']}/renditions/proxy", headers={"Range": f"bytes={size + 5}-"})
    assert beyond.status_code == 416


def test_a_corrupt_upload_gets_a_clear_422_and_registers_nothing(client: TestClient, media: Media) -> None:
    response = upload(client, media.garbage)
    assert response.status_code == 422
    assert "not a media file" in response.json()["detail"]
    assert client.get("/api/v1/assets").json()["total"] == 0


def test_a_truncated_upload_fails_its_asset_while_the_next_upload_succeeds(client: TestClient, media: Media) -> None:
    bad = upload(client, media.truncated, profiles="proxy").json()
    good = upload(client, media.silent, profiles="proxy").json()
    bad_job = wait_job(client, bad["jobs"][0]["id"])
    good_job = wait_job(client, good["jobs"][0]["id"])
    assert bad_job["state"] == "failed" and "truncated or corrupt" in bad_job["error"]
    assert good_job["state"] == "done"
    failed = client.get(f"/api/v1/assets/{bad['id']}").json()
    assert failed["status"] == "failed" and failed["renditions"] == []
    assert client.get(f"/api/v1/assets/{bad['id']}/renditions/proxy").status_code == 404


def test_a_second_upload_of_the_same_content_returns_the_existing_asset(client: TestClient, media: Media) -> None:
    first = upload(client, media.wav)
    second = upload(client, media.wav, title="another name")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["id"] == first.json()["id"] and second.json()["duplicate"] is True


def test_describing_and_finding_an_asset(client: TestClient, media: Media) -> None:
    asset = upload(client, media.wav, profiles="proxy").json()
    changed = client.patch(
        f"/api/v1/assets/{asset['id']}",
        json={"title": "县广播新闻", "description": "早间新闻", "tags": ["广播", "新闻"]},
    )
    assert changed.status_code == 200 and changed.json()["title"] == "县广播新闻"
    found = client.get("/api/v1/assets", params={"q": "广播新闻"}).json()
    assert [a["id"] for a in found["items"]] == [asset["id"]]
    assert client.get("/api/v1/assets", params={"q": "天气"}).json()["total"] == 0
    assert client.patch(f"/api/v1/assets/{asset['id']}", json={"colour": "red"}).status_code == 422


def test_another_tenant_cannot_see_or_change_the_asset(client: TestClient, media: Media, tmp_path: Path) -> None:
    asset = upload(client, media.wav, profiles="proxy").json()
    services = open_services(make_settings(tmp_path / "home"))
    with services.session() as session:
        ensure_tenant(session, "xiangxiang", "湘乡市融媒体中心")
    services.close()
    other = client_headers(client, "xiangxiang")
    assert client.get(f"/api/v1/assets/{asset['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/assets", headers=other).json()["total"] == 0
    assert client.patch(f"/api/v1/assets/{asset['id']}", json={"title": "x"}, headers=other).status_code == 404
    assert client.get("/api/v1/assets", headers={"X-Tenant": "xiangxiang"}).json()["total"] == 1  # no identity


def test_profiles_health_and_openapi_are_served(client: TestClient) -> None:
    names = {p["name"] for p in client.get("/api/v1/profiles").json()}
    assert {"proxy", "web_720p", "web_1080p", "poster", "broadcast_hd", "hls", "vertical", "radio"} <= names
    health = client.get("/healthz").json()
    assert health == {"status": "ok", "catalog": "ok", "storage": "ok", "broker": "embedded"}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/assets/{asset_id}/renditions/{profile}" in paths
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text and "/openapi.json" in docs.text


def test_an_unknown_profile_in_an_upload_is_a_422_naming_the_available_ones(client: TestClient, media: Media) -> None:
    response = upload(client, media.silent, profiles="proxy,hd_master")
    assert response.status_code == 422 and "available" in response.json()["detail"]


def test_a_running_job_reports_speed_and_can_be_cancelled(client: TestClient, tmp_path: Path) -> None:
    from transcode import generate

    long_clip = generate.silent_clip(tmp_path / "long_1080p.mp4", seconds=12.0, width=1920, height=1080)
    asset = upload(client, long_clip, profiles="web_1080p,vertical").json()
    job_id = asset["jobs"][0]["id"]
    deadline = time.monotonic() + 60
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = client.get(f"/api/v1/jobs/{job_id}").json()
        if seen["state"] == "running" and seen["fps"] and seen["progress"] > 0.1:
            break
        assert seen["state"] in ("queued", "running"), seen
        time.sleep(0.1)
    assert seen["fps"] > 0 and seen["eta_seconds"] is not None
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    time.sleep(1.5)
    body = client.get(f"/api/v1/assets/{asset['id']}").json()
    assert body["jobs"][0]["state"] == "cancelled" and body["renditions"] == []
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 409
    # the worker is free again: the next upload renders
    nxt = upload(
        client, generate.silent_clip(tmp_path / "next.mp4", seconds=1.0, width=320, height=240), profiles="proxy"
    ).json()
    assert wait_job(client, nxt["jobs"][0]["id"])["state"] == "done"
    stored = [p for p in (tmp_path / "home" / "storage").rglob("*") if p.is_file() and "renditions" in p.parts]
    assert all(asset["id"] not in str(p) for p in stored)


def test_an_hls_ladder_is_served_through_the_api_with_relative_playlists(
    client: TestClient, media: Media, tmp_path: Path
) -> None:
    asset = upload(client, media.phone, profiles="hls").json()
    assert wait_job(client, asset["jobs"][0]["id"])["state"] == "done"
    base = f"/api/v1/assets/{asset['id']}/renditions/hls"
    first = client.get(base, follow_redirects=False)
    assert first.status_code == 307 and first.headers["location"] == f"{base}/master.m3u8"
    master = client.get(f"{base}/master.m3u8")
    assert master.status_code == 200 and master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    variants = [line for line in master.text.splitlines() if line and not line.startswith("#")]
    assert variants == ["v0/index.m3u8", "v1/index.m3u8", "v2/index.m3u8"]
    playlist = client.get(f"{base}/v0/index.m3u8").text
    init = next(line.split('"')[1] for line in playlist.splitlines() if line.startswith("#EXT-X-MAP"))
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    joined = tmp_path / "joined.mp4"
    joined.write_bytes(b"".join(client.get(f"{base}/v0/{part}").content for part in [init, *segments]))
    from transcode.probe import probe

    info = probe(joined)
    assert (info.video[0].width, info.video[0].height) == (720, 1280)
    assert client.get(f"{base}/v0/../../proxy/x.mp4").status_code == 404
    assert client.get(f"{base}/v9/index.m3u8").status_code == 404


def test_a_sub_clip_export_is_frame_exact_and_leaves_the_asset_alone(client: TestClient, tmp_path: Path) -> None:
    from mediacheck import frame_numbers, numbered_clip

    source = numbered_clip(tmp_path / "numbered.mp4")
    asset = upload(client, source, profiles="proxy").json()
    assert wait_job(client, asset["jobs"][0]["id"])["state"] == "done"
    queued = client.post(
        f"/api/v1/assets/{asset['id']}/exports", json={"profile": "web_720p", "start": 0.4, "end": 1.2}
    )
    assert queued.status_code == 202 and queued.json()["kind"] == "export"
    job = wait_job(client, queued.json()["id"])
    assert job["state"] == "done", job["error"]
    assert job["result"]["output"]["start"] == 0.4 and job["result"]["output"]["end"] == 1.2
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(client.get(f"/api/v1/jobs/{job['id']}/output").content)
    assert frame_numbers(clip) == list(range(10, 30))
    body = client.get(f"/api/v1/assets/{asset['id']}").json()
    assert body["status"] == "ready" and [r["profile"] for r in body["renditions"]] == ["proxy"]

    wrong = client.post(f"/api/v1/assets/{asset['id']}/exports", json={"profile": "proxy", "start": 1.5, "end": 9})
    assert wrong.status_code == 422 and "not inside the source" in wrong.json()["detail"]  # refused at the request
    assert client.get(f"/api/v1/assets/{asset['id']}").json()["status"] == "ready"
    assert client.get(f"/api/v1/jobs/{job['id']}/output").status_code == 200
    assert client.post(f"/api/v1/assets/{asset['id']}/exports", json={"profile": "radio"}).status_code == 422


def test_shots_keyframes_storyboard_and_qc_come_with_the_render(client: TestClient, tmp_path: Path) -> None:
    from analysis_media import shots_clip

    clip, truth = shots_clip(tmp_path / "news_item.mp4", shots=8, seed=4)
    asset = upload(client, clip, profiles="proxy").json()
    job = wait_job(client, asset["jobs"][0]["id"])
    assert job["state"] == "done" and job["result"]["qc"]["profile"] == "gy_t_282_2014"
    base = f"/api/v1/assets/{asset['id']}"
    shots = client.get(f"{base}/shots").json()
    starts = [s["first_frame"] for s in shots["shots"]]
    assert starts[0] == 0 and len(starts) == 1 + len(truth.cuts) + len(truth.graduals)
    assert set(truth.cuts) <= set(starts)
    first = shots["shots"][1]
    assert first["start_timecode"] == f"00:00:{first['first_frame'] // 25:02d}:{first['first_frame'] % 25:02d}"
    picture = client.get(first["keyframe_url"])
    assert picture.status_code == 200 and picture.content[:2] == b"\xff\xd8"
    qc = client.get(f"{base}/qc").json()
    assert qc["verdict"] in ("pass", "warn", "fail") and {c["check"] for c in qc["checks"]} >= {"black", "freeze"}
    assert client.get(f"{base}/qc", params={"profile": "ebu_r128"}).json()["profile"] == "ebu_r128"
    assert client.get(f"{base}/qc", params={"profile": "nope"}).status_code == 422
    vtt = client.get(shots["storyboard_vtt"])
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT") and "storyboard/0.jpg#xywh=" in vtt.text
    sheet = client.get(f"{base}/storyboard/0.jpg")
    assert sheet.status_code == 200 and sheet.content[:2] == b"\xff\xd8"
    assert client.get(f"{base}/storyboard/9.jpg").status_code == 404
