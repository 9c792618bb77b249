"""The upload limit is kept while the body arrives, not after it is on disk (MAM_MAX_UPLOAD_MB=1)."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import make_settings
from live_server import live_server

from api.app import create_app
from mam.limits import FORM_OVERHEAD_BYTES, MAX_REQUEST_BODY_BYTES, SERVER_OPTIONS
from mam.services import Services, open_services

LIMIT = 1024 * 1024
BOUNDARY = "mamlimitsboundary"
HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="huge.wav"\r\n'
    "Content-Type: audio/wav\r\n\r\n"
).encode()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path / "home", MAM_MAX_UPLOAD_MB="1"))
    try:
        yield svc
    finally:
        svc.close()


def spooled_bytes(temp_dir: Path, uploads_dir: Path) -> int:
    """Bytes this process holds in ``temp_dir`` (unnamed O_TMPFILE spools included) and in work/uploads."""
    total = sum(p.stat().st_size for p in uploads_dir.glob("*")) if uploads_dir.exists() else 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(str(temp_dir)):
                total += os.stat(f"/proc/self/fd/{fd}").st_size
        except OSError:
            continue
    return total


class Body:
    """A multipart body of ``size`` bytes of file, made as it is read, measuring the spool as it goes."""

    def __init__(self, size: int, temp_dir: Path, uploads_dir: Path) -> None:
        self.size, self.temp_dir, self.uploads_dir = size, temp_dir, uploads_dir
        self.sent = 0
        self.peak_spooled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield HEAD
        chunk = b"\0" * (64 * 1024)
        while self.sent < self.size:
            self.peak_spooled = max(self.peak_spooled, spooled_bytes(self.temp_dir, self.uploads_dir))
            self.sent += len(chunk)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_a_chunked_upload_far_over_the_limit_is_refused_once_the_limit_is_read(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp_dir = tmp_path / "spool"
    temp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))  # where FastAPI spools the form's file
    app = create_app(services=services, run_workers=False)
    app.state.services = services  # what the lifespan would set; the ASGI transport runs none
    body = Body(200 * LIMIT, temp_dir, services.settings.work_dir / "uploads")

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mam") as client:
            return await client.post(
                "/api/v1/assets",
                content=body.__aiter__(),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )

    answer = asyncio.run(post())
    print(f"\nsent {body.sent} of {body.size} bytes; at most {body.peak_spooled} bytes spooled")
    assert answer.status_code == 413 and "MAM_MAX_UPLOAD_MB" in answer.json()["detail"]
    assert body.sent <= LIMIT + FORM_OVERHEAD_BYTES + 128 * 1024  # reading stopped at the limit
    assert body.peak_spooled <= LIMIT + FORM_OVERHEAD_BYTES
    assert spooled_bytes(temp_dir, services.settings.work_dir / "uploads") == 0


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(services: Services) -> None:
    with live_server(create_app(services=services, run_workers=False), **SERVER_OPTIONS) as base:
        parts = urlsplit(base)
        head = (
            f"POST /api/v1/assets HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {200 * LIMIT}\r\n\r\n"
        )
        assert parts.hostname is not None and parts.port is not None
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(head.encode() + HEAD)  # the headers and the first bytes only: the answer must not wait
            answer = sock.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 413"), answer
    assert f"the request body is {200 * LIMIT} bytes" in answer and "MAM_MAX_UPLOAD_MB" in answer
    assert not any((services.settings.work_dir / "uploads").glob("*"))


def test_a_json_body_over_the_request_limit_is_refused_unread(services: Services) -> None:
    app = create_app(services=services, run_workers=False)
    app.state.services = services

    async def patch() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mam") as client:
            description = "长" * (MAX_REQUEST_BODY_BYTES // 3 + 10)
            return await client.patch("/api/v1/assets/some-asset", json={"description": description})

    answer = asyncio.run(patch())
    assert answer.status_code == 413 and len(answer.content) < 500
