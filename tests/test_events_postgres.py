"""On PostgreSQL an event written by any process (a worker on another machine) reaches the event
streams of every API process, through LISTEN/NOTIFY."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import auth_headers, catalog_asset, make_settings
from events_support import StreamReader
from live_server import free_port

from mam.events import EventBus, EventRecord
from mam.jobs import create_asset_with_job
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


def test_an_event_written_by_one_process_reaches_the_streams_of_two_api_processes(
    tmp_path: Path, postgres_url: str, catalog: Services
) -> None:
    servers = [_serve(tmp_path / f"api{n}", postgres_url) for n in (1, 2)]  # both start at once
    try:
        for n, (_, url) in enumerate(servers, 1):
            _ready(url, tmp_path / f"api{n}")
        headers = auth_headers(catalog)
        readers = [StreamReader(f"{url}/api/v1/events?timeout=30", headers).start() for _, url in servers]
        time.sleep(0.5)  # the streams are subscribed
        with catalog.session() as session:  # this test process stands for a worker elsewhere
            create_asset_with_job(session, catalog_asset("default", 1, "从别处来"), [])

        for reader in readers:
            frames = reader.wait_for(1)
            assert frames and frames[0].type == "asset.created", frames
            assert frames[0].data["data"]["title"] == "从别处来"
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)


def test_the_bus_is_woken_by_notify_from_another_process_without_polling(
    tmp_path: Path, postgres_url: str, catalog: Services
) -> None:
    bus = EventBus(catalog.engine, catalog.sessions, poll=3600)  # only NOTIFY can wake it
    got: list[EventRecord] = []
    arrived = threading.Event()
    bus.start()
    try:
        assert bus.listening.wait(30)

        def heard(record: EventRecord) -> None:
            got.append(record)
            arrived.set()

        bus.subscribe("default", heard)
        env = {**os.environ, "MAM_HOME": str(tmp_path / "writer"), "MAM_DATABASE_URL": postgres_url}
        subprocess.run([sys.executable, "-c", _WRITE, "另一个进程"], env=env, check=True, timeout=120)
        assert arrived.wait(30)
    finally:
        bus.stop()
    assert [(r.type, r.payload["title"]) for r in got] == [("asset.created", "另一个进程")]
