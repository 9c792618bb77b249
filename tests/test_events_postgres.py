"""On PostgreSQL an event written by any process (a worker on another machine) reaches the event
streams of every API process, through LISTEN/NOTIFY: a `mam serve` process and this test's own
server both stream an event a third process wrote, and a bus that never polls hears it too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import auth_headers, make_settings
from events_support import StreamReader
from live_server import free_port, live_server

from api.app import create_app
from mam.events import EventBus, EventRecord
from mam.services import Services, open_services

_WRITE = """
import sys
from mam.jobs import create_asset_with_job
from mam.models import Asset
from mam.services import open_services
from mam.settings import Settings
services = open_services(Settings.from_env(), run_migrations=False)
with services.session() as session:
    asset = Asset(tenant_id="default", title=sys.argv[1], media_kind="video", original_filename="f.mp4",
                  original_key="k", size=1, sha256="7" * 64, xxh3="0" * 16)
    create_asset_with_job(session, asset, [])
services.close()
"""


def _serve(home: Path, database: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``mam serve`` on the catalog (not waiting for it: see :func:`_ready`)."""
    port = free_port()
    env = {**os.environ, "MAM_HOME": str(home), "MAM_DATABASE_URL": database, "MAM_RATE_PER_KEY": "0"}
    env.pop("MAM_BROKER_URL", None)
    home.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(home / "serve.log", "wb"),  # noqa: SIM115  (closed with the process)
    )
    return process, f"http://127.0.0.1:{port}"


def _ready(url: str, home: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/profiles", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("mam serve did not start: " + (home / "serve.log").read_text()[-2000:])


@pytest.fixture
def catalog(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    services = open_services(make_settings(tmp_path / "writer", MAM_DATABASE_URL=postgres_url))  # migrated once here
    try:
        yield services
    finally:
        services.close()


def test_an_event_written_by_a_worker_process_reaches_the_streams_of_every_api_process(
    tmp_path: Path, postgres_url: str, catalog: Services
) -> None:
    process, url = _serve(tmp_path / "api", postgres_url)  # API process 1: mam serve
    app = create_app(make_settings(tmp_path / "api2", MAM_DATABASE_URL=postgres_url), run_workers=False)
    quiet = EventBus(catalog.engine, catalog.sessions, poll=3600)  # only NOTIFY can wake this one
    got: list[EventRecord] = []
    quiet.start()
    try:
        with live_server(app) as here:  # API process 2: this test's own
            _ready(url, tmp_path / "api")
            headers = auth_headers(catalog)
            readers = [StreamReader(f"{base}/api/v1/events?timeout=600", headers).start() for base in (url, here)]
            assert quiet.listening.wait(30)
            quiet.subscribe("default", got.append)
            env = {**os.environ, "MAM_HOME": str(tmp_path / "writer"), "MAM_DATABASE_URL": postgres_url}
            subprocess.run([sys.executable, "-c", _WRITE, "从别处来"], env=env, check=True, timeout=300)

            for reader in readers:
                frames = reader.wait_for(1)
                assert frames and frames[0].type == "asset.created", frames
                assert frames[0].data["data"]["title"] == "从别处来"
            process.terminate()  # its open stream ends at once: the server stops without waiting for it
            process.wait(timeout=120)  # raises if it is still waiting for the stream (which asked for 600 s)
            readers[0].join(timeout=30)
            assert readers[0].thread is not None and not readers[0].thread.is_alive()
    finally:
        quiet.stop()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert [(r.type, r.payload["title"]) for r in got] == [("asset.created", "从别处来")]
