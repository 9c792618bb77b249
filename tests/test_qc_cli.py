"""`mam asset ID` ends with the QC (技审) summary a person reads: the verdict and every check that did not pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from analysis_media import qc_clip

MAM = Path(sys.executable).parent / "mam"


def _mam(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env |= {"MAM_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([str(MAM), *args], env=env, capture_output=True, text=True, timeout=300)


def test_mam_asset_ends_with_a_qc_summary_naming_each_failed_or_warned_check_and_where(tmp_path: Path) -> None:
    clip, truth = qc_clip(tmp_path / "faulty.mov")
    ingested = _mam(tmp_path / "home", "ingest", str(clip), "--wait", "--profile", "proxy", "--json")
    assert ingested.returncode == 0, ingested.stderr
    asset_id = json.loads(ingested.stdout)[0]["asset"]["id"]

    shown = _mam(tmp_path / "home", "asset", asset_id[:8])
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    (head,) = [line for line in lines if line.startswith("QC 技审")]
    assert head == "QC 技审 (GY/T 282-2014 TV delivery): ✗ fail, 3 shot(s)"
    checks = {line.split()[1].rstrip(":"): line for line in lines[lines.index(head) + 1 :] if line.startswith("  ")}
    assert set(checks) == {"black", "freeze", "silence", "clipping", "loudness", "true_peak"}
    assert checks["black"].startswith("  ! black: 1.0 (warn >= 0.5 s, fail >= 2.0 s)")
    assert f"longest at {truth.black[0] / 25:.2f}-{(truth.black[1] + 1) / 25:.2f} s" in checks["black"]
    assert checks["silence"].startswith("  ! silence: 2.0") and "longest at 6.00-8.00 s" in checks["silence"]
    assert checks["clipping"].startswith("  ✗ clipping:") and int(checks["clipping"].split()[2]) >= 20
    # a -20 dBFS tone with a clipped burst: far louder than -24 ±2 LUFS, and peaking at full scale
    assert checks["loudness"].startswith("  ✗ loudness:") and float(checks["loudness"].split()[2]) > -22
    assert "(-24.0 ±2.0 LUFS)" in checks["loudness"]
    assert checks["true_peak"].startswith("  ✗ true_peak:") and "(<= -2.0 dBTP)" in checks["true_peak"]

    as_json = json.loads(_mam(tmp_path / "home", "asset", asset_id[:8], "--json").stdout)
    assert as_json["qc"]["verdict"] == "fail" and as_json["qc"]["shots"] == 3
    assert {c["check"] for c in as_json["qc"]["checks"] if c["status"] == "pass"} == {"field_order", "loudness_range"}
