"""A Python client generated from /openapi.json (openapi-python-client) works against a real server:
one upload and a search that finds it, and an error read as problem details."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from conftest import auth_headers, make_settings
from live_server import live_server

from api.app import create_app
from transcode import generate

PACKAGE = "mam_generated_client"
# Binary answers (renditions, pictures, WebVTT) are read as bytes by the generated client.
CONFIG = """\
post_hooks: []
content_type_overrides:
  "*/*": application/octet-stream
  image/jpeg: application/octet-stream
  text/vtt: application/octet-stream
  application/x-subrip: application/octet-stream
"""


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[tuple[str, ModuleType, dict[str, str]]]:
    """A server on a free port (embedded default, no workers), the client package generated from it, and
    the Authorization header of an API key."""
    app = create_app(make_settings(tmp_path / "home"), run_workers=False)
    with live_server(app) as base:
        headers = auth_headers(app.state.services)
        schema = tmp_path / "openapi.json"
        schema.write_bytes(httpx.get(f"{base}/openapi.json").content)
        config = tmp_path / "client.yaml"
        config.write_text(CONFIG)
        command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(schema)]
        command += ["--meta", "none", "--output-path", str(tmp_path / PACKAGE), "--config", str(config)]
        done = subprocess.run([*command, "--fail-on-warning"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        sys.path.insert(0, str(tmp_path))
        try:
            yield base, importlib.import_module(PACKAGE), headers
        finally:
            sys.path.remove(str(tmp_path))
            for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
                del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_uploads_a_clip_and_finds_it_by_search(
    generated: tuple[str, ModuleType, dict[str, str]], tmp_path: Path
) -> None:
    base, package, headers = generated
    create_asset = _module("api.assets.create_asset")
    get_asset = _module("api.assets.get_asset")
    search_assets = _module("api.search.search_assets")
    models = _module("models")
    types = _module("types")
    clip = generate.silent_clip(tmp_path / "chungeng.mp4", seconds=1.0, width=320, height=240)

    client = package.Client(base_url=base, headers=headers, raise_on_unexpected_status=True)
    with clip.open("rb") as handle:
        upload = types.File(payload=handle, file_name=clip.name, mime_type="video/mp4")
        body = models.BodyCreateAsset(file=upload, title="春耕进行时", tags="农业,民生", profiles="poster")
        created = create_asset.sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    asset = created.parsed
    assert isinstance(asset, models.AssetPublic)
    assert asset.title == "春耕进行时" and asset.tags == ["农业", "民生"]

    found = search_assets.sync(client=client, q="春耕", facets=False)
    assert isinstance(found, models.SearchResponse)
    assert [hit.asset.id for hit in found.items] == [asset.id]

    missing = get_asset.sync(client=client, asset_id="no-such-asset")
    assert isinstance(missing, models.Problem)
    assert missing.status == 404 and "no-such-asset" in missing.detail
