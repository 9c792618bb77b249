"""Watch folders run by `mam watch` (a real process) and inside the API (`mam serve`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from transcode.generate import audio_clip

MAM = Path(sys.executable).parent / "mam"


def write_config(path: Path, drop: Path) -> Path:
    path.write_text(
        f'poll_seconds = 0.1\n[[folder]]\npath = "{drop}"\nquiet_seconds = 0.3\nprofiles = ["proxy"]\n'
        '[folder.metadata]\ntags = ["录播"]\n',
        encoding="utf-8",
    )
    return path


def test_the_api_process_ingests_files_dropped_into_its_watch_folders(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    config = write_config(tmp_path / "watch.toml", drop)
    settings = make_settings(tmp_path / "home", MAM_WATCH_CONFIG=str(config))
    with signed_in(TestClient(create_app(settings, run_workers=False))) as client:
        audio_clip(drop / "bulletin.wav", seconds=0.3)
        deadline = time.monotonic() + 20
        items: list[dict[str, object]] = []
        while time.monotonic() < deadline and not items:
            items = client.get("/api/v1/assets").json()["items"]
            time.sleep(0.1)
    assert [(i["original_filename"], i["tags"]) for i in items] == [("bulletin.wav", ["录播"])]


def test_mam_watch_ingests_a_dropped_file_and_stops_cleanly_on_interrupt(tmp_path: Path) -> None:
    home, drop = tmp_path / "home", tmp_path / "drop"
    home.mkdir()
    drop.mkdir()
    write_config(home / "watch.toml", drop)  # the default place: $MAM_HOME/watch.toml
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(home)
    watcher = subprocess.Popen(
        [str(MAM), "watch", "--no-jobs"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        audio_clip(drop / "interview.wav", seconds=0.3)
        deadline = time.monotonic() + 30
        total = 0
        while time.monotonic() < deadline and total == 0:
            time.sleep(0.3)
            listed = subprocess.run([str(MAM), "assets", "--json"], env=env, capture_output=True, text=True, timeout=60)
            total = json.loads(listed.stdout)["total"]
        assert total == 1
    finally:
        watcher.send_signal(signal.SIGINT)
        _, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, stderr
    assert "interview.wav ingested" in stderr


def test_mam_watch_without_a_configuration_says_where_it_looked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(tmp_path)
    result = subprocess.run([str(MAM), "watch"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert str(tmp_path / "watch.toml") in result.stderr.replace("\n", "")  # (a long path wraps)
