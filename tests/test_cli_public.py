"""The CLI's `--json` is the API's JSON: `mam asset`, `mam jobs`, `mam search` and `mam delete` print the
same public models as the routes answer (a real `mam` process and the app on one embedded catalog)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import Media, make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app

MAM = Path(sys.executable).parent / "mam"


def _mam(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env |= {"MAM_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([str(MAM), *args], env=env, capture_output=True, text=True, timeout=300, input=stdin)


def _json(home: Path, *args: str) -> Any:
    done = _mam(home, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_json_is_the_api_json_and_mam_delete_removes_the_asset(tmp_path: Path, media: Media) -> None:
    home = tmp_path / "home"
    ingested = _json(home, "ingest", str(media.silent), "--wait", "--profile", "proxy", "--title", "春耕备耕")
    asset_id = ingested[0]["asset"]["id"]
    with signed_in(TestClient(create_app(make_settings(home), run_workers=False))) as client:
        api_asset = client.get(f"/api/v1/assets/{asset_id}").json()
        cli_asset = _json(home, "asset", asset_id)
        assert {k: v for k, v in cli_asset.items() if k != "qc"} == api_asset
        assert api_asset["probe"]["container"].startswith("mov") and api_asset["jobs"][0]["result"]["renditions"]

        assert _json(home, "jobs") == client.get("/api/v1/jobs").json()
        assert (
            _json(home, "jobs", "--state", "done", "--limit", "1")
            == client.get("/api/v1/jobs", params={"state": "done", "limit": 1}).json()
        )
        assert _json(home, "search", "春耕") == client.get("/api/v1/search", params={"q": "春耕"}).json()
        assert _json(home, "assets") == client.get("/api/v1/assets").json()
        assert _json(home, "profiles") == client.get("/api/v1/profiles").json()

        table = _mam(home, "jobs")
        assert table.returncode == 0 and asset_id[:8] in table.stdout and "done" in table.stdout

        folder = home / "storage" / "default" / "assets" / asset_id
        assert (folder / "original").is_dir()
        kept = _mam(home, "delete", asset_id, stdin="n\n")
        assert kept.returncode == 1 and "Delete this asset" in kept.stderr
        assert client.get(f"/api/v1/assets/{asset_id}").status_code == 200

        removed = _json(home, "delete", asset_id, "--yes")
        assert removed == {
            "asset_id": asset_id,
            "renditions": 1,
            "jobs": 1,
            "cancelled_jobs": 0,
            "shares": 0,
            "objects": removed["objects"],
        }
        assert removed["objects"] >= 3  # the original, the proxy, the analysis pictures
        assert client.get(f"/api/v1/assets/{asset_id}").status_code == 404
        assert not folder.exists()
        again = _mam(home, "delete", asset_id, "--yes")
        assert again.returncode == 1 and "no asset" in again.stderr
