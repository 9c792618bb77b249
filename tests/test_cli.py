"""The `mam` command as a newcomer runs it (a real process, the embedded default)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Media, make_settings

from mam.catalog import find_asset_by_checksum
from mam.services import open_services

MAM = Path(sys.executable).parent / "mam"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(home)
    return subprocess.run([str(MAM), *args], env=env, capture_output=True, text=True, timeout=300)


def test_help_lists_every_command_and_the_settings(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("ingest", "assets", "asset", "profiles", "serve", "worker", "samples"):
        assert command in result.stdout
    assert "MAM_DATABASE_URL" in result.stdout and "MAM_BROKER_URL" in result.stdout


def test_ingest_wait_renders_in_process_and_reports_json(tmp_path: Path, media: Media) -> None:
    result = run(tmp_path, "ingest", str(media.phone), str(media.wav), "--wait", "--json", "--tag", "街采")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [Path(r["path"]).name for r in report] == [media.phone.name, media.wav.name]
    phone, wav = (r["asset"] for r in report)
    assert phone["status"] == "ready" and phone["tags"] == ["街采"]
    assert {r["profile"] for r in phone["renditions"]} == {"proxy", "web_720p", "poster"}
    assert all(r["size"] > 0 and r["seconds"] >= 0 for r in phone["renditions"])
    assert [r["profile"] for r in wav["renditions"]] == ["proxy"]
    assert report[1]["skipped_profiles"] == ["web_720p", "poster"]

    listed = json.loads(run(tmp_path, "assets", "--json").stdout)
    assert listed["total"] == 2
    one = json.loads(run(tmp_path, "asset", phone["id"][:8], "--json").stdout)
    assert one["id"] == phone["id"] and one["probe"]["video"][0]["rotation"] == 90


def test_the_human_report_shows_streams_checksum_and_renditions(tmp_path: Path, media: Media) -> None:
    result = run(tmp_path, "ingest", str(media.broadcast), "--wait", "--profile", "proxy")
    assert result.returncode == 0, result.stderr
    assert "mpeg2video 1920x1080 25i TFF" in result.stdout
    assert "4x pcm_s24le mono 48000 Hz" in result.stdout
    assert "TC 10:00:00:00" in result.stdout
    assert "proxy" in result.stdout and "640x360" in result.stdout


def test_a_non_media_file_exits_non_zero_with_the_reason_and_is_named_once(tmp_path: Path, media: Media) -> None:
    result = run(tmp_path, "ingest", str(media.garbage), "--wait")
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("✗")]
    assert line.startswith(f"✗ {media.garbage.name}: not a media file")
    assert result.stderr.count(media.garbage.name) == 1, result.stderr


def test_ingest_with_a_tenant_makes_that_centres_assets_and_dedupes_within_it(tmp_path: Path, media: Media) -> None:
    result = run(tmp_path, "ingest", str(media.wav), str(media.wav), "--tenant", "county-a", "-p", "proxy", "--json")
    assert result.returncode == 0, result.stderr
    first, again = json.loads(result.stdout)
    assert first["asset"]["owner"] == "county-a" and first["duplicate"] is False
    assert again["duplicate"] is True and again["asset"]["id"] == first["asset"]["id"]
    services = open_services(make_settings(tmp_path))
    try:
        with services.session() as session:
            assert find_asset_by_checksum(session, "default", first["asset"]["sha256"]) is None
    finally:
        services.close()


def test_jobs_queued_without_wait_are_rendered_by_a_later_worker(tmp_path: Path, media: Media) -> None:
    queued = run(tmp_path, "ingest", str(media.silent), "--json", "--profile", "proxy")
    asset = json.loads(queued.stdout)[0]["asset"]
    assert asset["status"] == "processing" and asset["jobs"][0]["state"] == "queued"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAM_")}, "MAM_HOME": str(tmp_path)}
    worker = subprocess.Popen([str(MAM), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import time

        deadline = time.monotonic() + 60
        state = "queued"
        while time.monotonic() < deadline and state != "done":
            time.sleep(0.3)
            state = json.loads(run(tmp_path, "asset", asset["id"], "--json").stdout)["jobs"][0]["state"]
        assert state == "done"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_profiles_lists_the_shipped_profiles(tmp_path: Path) -> None:
    names = {p["name"] for p in json.loads(run(tmp_path, "profiles", "--json").stdout)}
    assert {"proxy", "web_720p", "poster"} <= names


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_http_and_renders_jobs_queued_by_another_process(tmp_path: Path, media: Media) -> None:
    import time

    import httpx

    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAM_")}, "MAM_HOME": str(tmp_path)}
    server = subprocess.Popen(
        [str(MAM), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("mam serve did not answer /healthz")
        made = json.loads(run(tmp_path, "keys", "create", "--tenant", "default", "--role", "editor", "--json").stdout)
        key = {"Authorization": f"Bearer {made['key']}"}
        with media.phone.open("rb") as handle:
            uploaded = httpx.post(
                f"{base}/api/v1/assets",
                files={"file": (media.phone.name, handle)},
                data={"profiles": "proxy"},
                headers=key,
                timeout=60,
            )
        assert uploaded.status_code == 201
        queued = json.loads(run(tmp_path, "ingest", str(media.wav), "--json").stdout)[0]["asset"]
        ids = [uploaded.json()["id"], queued["id"]]
        deadline = time.monotonic() + 60
        states: list[str] = []
        while time.monotonic() < deadline:
            states = [httpx.get(f"{base}/api/v1/assets/{i}", headers=key).json()["status"] for i in ids]
            if all(s != "processing" for s in states):
                break
            time.sleep(0.3)
        assert states == ["ready", "ready"]
        proxy = httpx.get(f"{base}/api/v1/assets/{ids[0]}/renditions/proxy", headers={**key, "Range": "bytes=0-99"})
        assert proxy.status_code == 206 and len(proxy.content) == 100
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_export_writes_a_frame_exact_sub_clip(tmp_path: Path) -> None:
    from mediacheck import frame_numbers, numbered_clip

    source = numbered_clip(tmp_path / "numbered.mp4")
    asset = json.loads(run(tmp_path, "ingest", str(source), "--profile", "proxy", "--wait", "--json").stdout)[0][
        "asset"
    ]
    target = tmp_path / "cut.mp4"
    result = run(
        tmp_path,
        "export",
        asset["id"],
        "-p",
        "web_720p",
        "--in",
        "00:00:00:07",
        "--out",
        "1.52",
        "-o",
        str(target),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["state"] == "done"
    assert frame_numbers(target) == list(range(7, 38))
    bad = run(tmp_path, "export", asset["id"], "-p", "nope")
    assert bad.returncode == 2 and "unknown profile" in bad.stderr
