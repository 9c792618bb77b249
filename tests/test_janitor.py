"""The janitor removes what failed uploads and renders left behind, and nothing a live upload or job owns."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from conftest import catalog_asset, make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from mam.janitor import Janitor, sweep
from mam.models import Job, JobState
from mam.services import Services
from mam.tus import UploadStore

MAM = Path(sys.executable).parent / "mam"


def age(path: Path, hours: float) -> Path:
    """Make ``path`` (and what a folder holds) look last written ``hours`` ago."""
    then = time.time() - hours * 3600
    for item in [*path.rglob("*"), path] if path.is_dir() else [path]:
        os.utime(item, (then, then))
    return path


def leftover_upload(work: Path, name: str, size: int = 300_000) -> Path:
    path = work / "uploads" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


def tus_upload(store: UploadStore, received: bytes) -> str:
    info = store.create("default", 1000, {"filename": "field.mp4"})
    with store.patch(info, 0, None, None) as writer:
        writer.write(received)
        writer.commit()
    return info.id


def test_bytes_of_multipart_uploads_whose_server_died_are_removed_and_live_ones_kept(
    sqlite_services: Services,
) -> None:
    work = sqlite_services.settings.work_dir
    dead = age(leftover_upload(work, "upload-dead.mxf"), 2)
    live = age(leftover_upload(work, "upload-live.wav"), 2)  # a stalled connection, still open
    ingesting = leftover_upload(work, "upload-new.wav")  # received, now being probed and stored
    with live.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # as api.uploads.receive_upload holds it
        report = sweep(sqlite_services)
    assert [(item.kind, item.path, item.bytes) for item in report.removed] == [("upload", str(dead), 300_000)]
    assert {item.path for item in report.kept} == {str(live), str(ingesting)}
    assert not dead.exists() and live.exists() and ingesting.exists()


def test_tus_uploads_past_their_expiry_are_removed_unless_a_request_holds_them(sqlite_services: Services) -> None:
    store = UploadStore.of(sqlite_services.settings)
    expired = tus_upload(store, b"x" * 500)
    fresh = tus_upload(store, b"y" * 500)
    busy = tus_upload(store, b"z" * 100)
    made = tus_upload(store, b"w" * 1000)  # became an asset: only its info.json is left
    info = store.get("default", made)
    info.asset_id = "an-asset"
    store.save(info)
    store.discard_data(info)
    writer = store.patch(store.get("default", busy), 100, None, None)  # a PATCH in progress holds it
    for upload_id in (expired, busy, made):
        age(store.root / upload_id, 25)

    removed = sweep(sqlite_services).removed
    assert {Path(item.path).name for item in removed} == {expired, made}
    assert all(item.kind == "tus" for item in removed)
    assert sorted(item.bytes for item in removed)[1] >= 500  # the expired upload's bytes were counted
    assert (store.root / fresh).is_dir() and (store.root / busy).is_dir()

    writer.__exit__(None, None, None)  # the request ends (it wrote nothing)
    age(store.root / busy, 25)
    assert [Path(item.path).name for item in sweep(sqlite_services).removed] == [busy]


def test_scratch_folders_of_jobs_that_are_not_running_are_removed(sqlite_services: Services) -> None:
    with sqlite_services.session() as session:
        asset = catalog_asset("default", 1, "夜间新闻")
        session.add(asset)
        session.flush()
        jobs = {state: Job(asset_id=asset.id, state=state) for state in (JobState.RUNNING, JobState.FAILED)}
        queued = Job(asset_id=asset.id, state=JobState.QUEUED)
        session.add_all([*jobs.values(), queued])
        session.commit()
        running_id, failed_id, queued_id = jobs[JobState.RUNNING].id, jobs[JobState.FAILED].id, queued.id
    work = sqlite_services.settings.work_dir

    def scratch(name: str, hours: float = 2) -> Path:
        folder = work / name
        folder.mkdir()
        (folder / "proxy.mp4").write_bytes(b"\0" * 50_000)
        return age(folder, hours) if hours else folder

    running = scratch(f"job-{running_id}")
    running_old_name = scratch(f"job-{running_id[:8]}-k3x9")  # named before job_scratch_dir
    failed = scratch(f"job-{failed_id}")
    orphan = scratch(f"job-{uuid.uuid4()}")  # its job was deleted with its asset
    claimed_now = scratch(f"job-{queued_id}", hours=0)  # a worker is taking the job up right now

    report = sweep(sqlite_services)
    assert sorted(item.path for item in report.removed) == sorted([str(failed), str(orphan)])
    assert all(item.kind == "scratch" and item.bytes == 50_000 for item in report.removed)
    assert running.is_dir() and running_old_name.is_dir() and claimed_now.is_dir()
    assert not failed.exists() and not orphan.exists()


def test_the_server_sweeps_when_it_starts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    dead = age(leftover_upload(settings.work_dir, "upload-dead.mp4"), 3)
    expired_folder = settings.work_dir / "tus" / ("a" * 32)
    expired_folder.mkdir(parents=True)
    (expired_folder / "data.mp4").write_bytes(b"\0" * 1000)
    age(expired_folder, 30)
    with TestClient(create_app(settings, run_workers=False)):
        deadline = time.monotonic() + 30
        while (dead.exists() or expired_folder.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not dead.exists() and not expired_folder.exists()


def test_mam_janitor_removes_leftovers_once_and_says_what_it_removed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    dead = age(leftover_upload(home / "work", "upload-dead.mov", 123_456), 2)
    stale_scratch = home / "work" / f"job-{uuid.uuid4()}"
    stale_scratch.mkdir()
    (stale_scratch / "poster.jpg").write_bytes(b"\xff" * 1000)
    age(stale_scratch, 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(home)

    done = subprocess.run([str(MAM), "janitor", "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    removed = {(item["kind"], item["path"], item["bytes"]) for item in report["removed"]}
    assert removed == {("upload", str(dead), 123_456), ("scratch", str(stale_scratch), 1000)}
    assert report["freed_bytes"] == 124_456 and not dead.exists() and not stale_scratch.exists()

    again = subprocess.run([str(MAM), "janitor"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 leftovers removed" in again.stdout
    helped = subprocess.run([str(MAM), "janitor", "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert "Upload-Expires" in helped.stdout and "MAM_JANITOR_INTERVAL_MINUTES" in helped.stdout


def test_a_rewrap_folder_of_a_stopped_watch_ingest_is_removed_after_a_day(sqlite_services: Services) -> None:
    work = sqlite_services.settings.work_dir
    stopped, working = work / "rewrap-a1b2", work / "rewrap-c3d4"
    for folder in (stopped, working):
        folder.mkdir()
        (folder / "clip.mov").write_bytes(b"\0" * 4000)
    age(stopped, 30)
    age(working, 30)
    os.utime(working / "clip.mov")  # still being written
    removed = sweep(sqlite_services).removed
    assert [(item.kind, item.path, item.bytes) for item in removed] == [("scratch", str(stopped), 4000)]
    assert working.is_dir()


def test_the_janitor_sweeps_again_after_its_interval(sqlite_services: Services) -> None:
    work = sqlite_services.settings.work_dir
    first = age(leftover_upload(work, "upload-first.mp4"), 2)
    janitor = Janitor(sqlite_services)
    janitor.interval = 0.2  # seconds here; MAM_JANITOR_INTERVAL_MINUTES in a server
    janitor.start()
    try:
        deadline = time.monotonic() + 30
        while first.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not first.exists()  # the sweep at start
        later = age(leftover_upload(work, "upload-later.mp4"), 2)
        while later.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not later.exists()  # a sweep after the interval
    finally:
        janitor.stop()
    assert not janitor._thread.is_alive()
