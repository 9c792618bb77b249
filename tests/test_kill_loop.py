"""Killing the server during uploads and renders, again and again, loses nothing and leaves nothing.

A real ``mam serve`` (embedded default: SQLite, local disk, jobs in the server's process) is
SIGKILLed while a multipart upload streams, a resumable (tus) upload is half sent and a render runs.
After a bounded number of rounds, one last start takes the jobs up again; then every job has ended,
the janitor (looking a day ahead) leaves no orphan bytes in the work folder, and the catalog's
integrity check finds nothing missing and nothing unowned in the store.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from conftest import auth_headers, make_settings
from live_server import free_port
from sqlalchemy import select

from mam.integrity import check_integrity
from mam.janitor import sweep
from mam.models import Job, JobState
from mam.services import open_services
from transcode import generate

ROUNDS = 3


class Server:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "MAM_HOME": str(home), "MAM_JOB_LEASE_SECONDS": "3", "MAM_JOB_SWEEP_SECONDS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(home / f"serve-{self.port}.log", "wb"),  # noqa: SIM115  (closed with the process)
        )
        services = open_services(make_settings(home))
        self.auth = auth_headers(services, role="editor")
        services.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/profiles", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.kill()
        raise AssertionError("mam serve did not start: " + (home / f"serve-{self.port}.log").read_text()[-2000:])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def _slow_body(data: bytes, boundary: str, stop: threading.Event) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    for start in range(0, len(data), 64 * 1024):
        if stop.is_set():
            return
        yield data[start : start + 64 * 1024]
        time.sleep(0.05)
    yield f"\r\n--{boundary}--\r\n".encode()


def _send_slowly(url: str, data: bytes, boundary: str, stop: threading.Event, auth: dict[str, str]) -> None:
    """A multipart upload trickling in until the server is killed under it (that is the point)."""
    with contextlib.suppress(httpx.HTTPError, OSError):
        httpx.post(
            f"{url}/api/v1/assets",
            content=_slow_body(data, boundary, stop),
            headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=60,
        )


def test_killing_the_server_during_uploads_and_renders_leaves_no_orphans_and_a_consistent_catalog(
    tmp_path: Path,
) -> None:
    rng = random.Random(1207)
    home = tmp_path / "home"
    home.mkdir()
    clips = [generate.silent_clip(tmp_path / f"clip{n}.mp4", seconds=3.0, width=320, height=240) for n in range(3)]
    big = random.Random(7).randbytes(4 * 1024 * 1024)
    stop = threading.Event()
    for round_ in range(ROUNDS):
        server = Server(home)
        stop.clear()
        boundary = f"mamkill{round_}"
        slow = threading.Thread(target=_send_slowly, args=(server.url, big, boundary, stop, server.auth), daemon=True)
        slow.start()
        clip = clips[round_]
        with clip.open("rb") as handle:  # a render starts on the server
            answer = httpx.post(
                f"{server.url}/api/v1/assets",
                files={"file": (clip.name, handle, "video/mp4")},
                data={"profiles": "proxy,web_720p"},
                headers=server.auth,
                timeout=60,
            )
        assert answer.status_code == 201, answer.text
        tus = httpx.post(  # a resumable upload, half sent
            f"{server.url}/api/v1/uploads",
            headers={
                **server.auth,
                "Tus-Resumable": "1.0.0",
                "Upload-Length": str(len(big)),
                "Content-Type": "application/offset+octet-stream",
            },
            content=big[: len(big) // 2],
            timeout=60,
        )
        assert tus.status_code == 201, tus.text
        time.sleep(rng.uniform(0.3, 2.0))
        server.kill()
        stop.set()
        slow.join(timeout=30)

    server = Server(home)  # the last start: jobs are taken up again and finish
    services = open_services(make_settings(home))
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with services.session() as session:
                active = session.scalars(select(Job.id).where(Job.state.in_((JobState.QUEUED, JobState.RUNNING)))).all()
            if not active:
                break
            time.sleep(1)
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        with services.session() as session:
            states = {j.id: (j.state, j.error) for j in session.scalars(select(Job))}
        assert len(states) == ROUNDS
        assert all(state == JobState.DONE for state, _ in states.values()), states

        janitor = sweep(services, now=datetime.now(UTC) + timedelta(days=2), store=True)
        work = services.settings.work_dir
        left = [p for p in work.rglob("*") if p.is_file()]
        print(f"janitor removed {len(janitor.removed)} leftovers, {janitor.freed_bytes} bytes; left: {left}")
        assert left == []

        integrity = check_integrity(services, grace=timedelta(0))
        assert integrity.ok, integrity.as_json()
        assert integrity.of("orphan") == [], integrity.as_json()
        assert integrity.assets == ROUNDS
    finally:
        services.close()
        if server.process.poll() is None:
            server.kill()
