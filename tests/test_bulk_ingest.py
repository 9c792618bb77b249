"""`mam ingest DIR --recursive`: bulk import of a card dump or an archive folder (a real process)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conftest import Media

from transcode.generate import audio_clip

MAM = Path(sys.executable).parent / "mam"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(home)
    env["COLUMNS"] = "200"
    return subprocess.run([str(MAM), *args], env=env, capture_output=True, text=True, timeout=300)


def archive(root: Path, media: Media) -> Path:
    """12 distinct clips in three levels of folders, one copy, one broken file, and temp files."""
    for n in range(12):
        audio_clip(root / f"day{n % 3}" / ("am" if n % 2 else "pm") / f"bulletin_{n:02d}.wav", seconds=0.1 + n * 0.01)
    shutil.copy(root / "day0" / "pm" / "bulletin_00.wav", root / "day2" / "copy_of_00.wav")
    shutil.copy(media.garbage, root / "day1" / "broken.mp4")
    shutil.copy(media.wav, root / "day1" / ".hidden.wav")
    shutil.copy(media.wav, root / "day1" / "still_copying.wav.part")
    return root


def test_a_recursive_ingest_reports_new_duplicate_and_failed_files_and_exits_non_zero(
    tmp_path: Path, media: Media
) -> None:
    root = archive(tmp_path / "archive", media)
    started = time.monotonic()
    result = run(tmp_path / "home", "ingest", str(root), "--recursive", "--profile", "proxy")
    elapsed = time.monotonic() - started
    print(f"\n14 files in 3 levels ingested in {elapsed:.2f} s (process start included)")
    assert result.returncode == 1
    assert re.search(r"ingested 14 file\(s\) .*100%", result.stderr), result.stderr  # the bar reached its end
    assert "14 file(s): 12 new, 1 duplicate, 1 failed" in result.stderr
    assert f"✗ {root / 'day1' / 'broken.mp4'}: not a media file" in result.stderr
    assert result.stderr.count("broken.mp4") == 1
    assert "bulletin_00" not in result.stdout  # no table per asset in bulk mode

    listed = json.loads(run(tmp_path / "home", "assets", "--json", "--limit", "100").stdout)
    assert listed["total"] == 12
    assert ".hidden.wav" not in result.stderr and "still_copying" not in result.stderr


def test_importing_the_same_tree_again_finds_only_duplicates_and_succeeds(tmp_path: Path, media: Media) -> None:
    root = archive(tmp_path / "archive", media)
    (root / "day1" / "broken.mp4").unlink()
    first = run(tmp_path / "home", "ingest", str(root), "-r", "--json", "--profile", "proxy")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert len(report) == 13 and sum(r["duplicate"] for r in report) == 1
    again = run(tmp_path / "home", "ingest", str(root), "--recursive", "--profile", "proxy")
    assert again.returncode == 0, again.stderr
    assert "13 file(s): 0 new, 13 duplicate, 0 failed" in again.stderr


def test_without_recursive_a_folder_gives_its_own_files_only_and_the_summary(tmp_path: Path, media: Media) -> None:
    root = archive(tmp_path / "archive", media)
    result = run(tmp_path / "home", "ingest", str(root / "day2"), "--profile", "proxy")
    assert result.returncode == 0, result.stderr
    assert "1 file(s): 1 new, 0 duplicate, 0 failed" in result.stderr


def test_without_recursive_a_folder_still_skips_hidden_and_half_copied_files(tmp_path: Path, media: Media) -> None:
    root = archive(tmp_path / "archive", media)  # day1 holds broken.mp4, .hidden.wav, still_copying.wav.part
    result = run(tmp_path / "home", "ingest", str(root / "day1"), "--profile", "proxy")
    assert result.returncode == 1  # broken.mp4 failed
    assert "1 file(s): 0 new, 0 duplicate, 1 failed" in result.stderr
    assert "broken.mp4" in result.stderr
    assert ".hidden" not in result.stderr + result.stdout and ".part" not in result.stderr + result.stdout
