"""Limits of what a client may send (MAM_MAX_UPLOAD_MB=1 here): the upload limit is kept while the
body arrives, not after it is on disk; headers and descriptive fields are bounded (mam/limits.py) and
refusals quote little of what was sent."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import auth_headers, make_settings, signed_in
from fastapi.testclient import TestClient
from live_server import live_server

from api.app import create_app
from cli.server import SERVE_OPTIONS
from mam.errors import IngestError
from mam.ingest import ingest_file
from mam.limits import (
    FORM_OVERHEAD_BYTES,
    MAX_DESCRIPTION_CHARS,
    MAX_REQUEST_BODY_BYTES,
    MAX_REQUEST_HEAD_BYTES,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    MAX_UPLOAD_METADATA_BYTES,
)
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
                headers={**auth_headers(services), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )

    answer = asyncio.run(post())
    print(f"\nsent {body.sent} of {body.size} bytes; at most {body.peak_spooled} bytes spooled")
    assert answer.status_code == 413 and "MAM_MAX_UPLOAD_MB" in answer.json()["detail"]
    assert body.sent <= LIMIT + FORM_OVERHEAD_BYTES + 128 * 1024  # reading stopped at the limit
    assert body.peak_spooled <= LIMIT + FORM_OVERHEAD_BYTES
    assert spooled_bytes(temp_dir, services.settings.work_dir / "uploads") == 0


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(services: Services) -> None:
    with live_server(create_app(services=services, run_workers=False), **SERVE_OPTIONS) as base:
        parts = urlsplit(base)
        head = (
            f"POST /api/v1/assets HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {200 * LIMIT}\r\n\r\n"
        )
        assert parts.hostname is not None and parts.port is not None
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(head.encode() + HEAD)  # the headers and the first bytes only: the answer must not wait
            received = b""
            while chunk := sock.recv(65536):  # the server closes the connection after its answer
                received += chunk
            answer = received.decode()
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


def test_an_800_kb_upload_metadata_gets_431_from_a_real_server_not_a_reset(services: Services) -> None:
    metadata = "description " + base64.b64encode(b"x" * 600_000).decode()  # an 800 kB header
    assert 790_000 < len(metadata) < 810_000
    with live_server(create_app(services=services, run_workers=False), **SERVE_OPTIONS) as base:
        answer = httpx.post(
            f"{base}/api/v1/uploads",
            headers={
                **auth_headers(services),
                "Tus-Resumable": "1.0.0",
                "Upload-Length": "100",
                "Upload-Metadata": metadata,
            },
            timeout=60,
        )
    assert answer.status_code == 431, answer.text
    assert f"at most {MAX_UPLOAD_METADATA_BYTES}" in answer.text and len(answer.content) < 1000
    assert not any((services.settings.work_dir / "tus").glob("*"))


def test_headers_beyond_what_the_server_reads_get_431_and_a_malformed_request_400_not_a_reset(
    services: Services,
) -> None:
    huge = "description " + base64.b64encode(b"x" * 3_000_000).decode()  # 4 MB: more than the server reads
    with live_server(create_app(services=services, run_workers=False), **SERVE_OPTIONS) as base:
        answer = httpx.post(
            f"{base}/api/v1/uploads",
            headers={"Tus-Resumable": "1.0.0", "Upload-Length": "100", "Upload-Metadata": huge},
            timeout=60,
        )
        parts = urlsplit(base)
        assert parts.hostname is not None and parts.port is not None
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(b"NOT\x00HTTP / at all\r\n\r\n")
            malformed = b""
            while chunk := sock.recv(65536):
                malformed += chunk
        still_serving = httpx.get(f"{base}/healthz").status_code
    assert answer.status_code == 431 and f"larger than {MAX_REQUEST_HEAD_BYTES} bytes" in answer.json()["detail"]
    assert malformed.startswith(b"HTTP/1.1 400") and b"malformed" in malformed
    assert still_serving == 200


def tus_metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def test_too_many_or_too_long_tags_and_fields_are_refused_at_every_entry_quoting_little(
    services: Services, tmp_path: Path
) -> None:
    many_tags = ",".join(f"标签{n}" for n in range(200_000))
    with signed_in(TestClient(create_app(services=services, run_workers=False))) as client:
        some_tags = ",".join(f"标签{n}" for n in range(20_000))  # 150 kB: within the body limit of this test
        form = client.post(
            "/api/v1/assets", files={"file": ("a.wav", b"RIFF....")}, data={"tags": some_tags, "title": "x"}
        )
        assert form.status_code == 422 and len(form.content) < 2000, form.text[:300]

        patched = client.patch("/api/v1/assets/any", json={"tags": many_tags.split(",")})  # 2.4 MB of JSON
        assert patched.status_code == 422 and len(patched.content) < 3000
        long_text = client.patch("/api/v1/assets/any", json={"description": "长" * (MAX_DESCRIPTION_CHARS + 1)})
        assert long_text.status_code == 422 and len(long_text.content) < 2000
        long_tag = client.patch("/api/v1/assets/any", json={"tags": ["x" * (MAX_TAG_CHARS + 1)]})
        assert long_tag.status_code == 422

        headers = {"Tus-Resumable": "1.0.0", "Upload-Length": "100"}
        tags_101 = tus_metadata(filename="a.wav", tags=",".join(f"t{n}" for n in range(MAX_TAGS + 1)))
        tus = client.post("/api/v1/uploads", headers={**headers, "Upload-Metadata": tags_101})
        assert tus.status_code == 400 and f"at most {MAX_TAGS}" in tus.text
        title = tus_metadata(filename="a.wav", title="题" * (MAX_TITLE_CHARS + 1))
        assert client.post("/api/v1/uploads", headers={**headers, "Upload-Metadata": title}).status_code == 400
        assert client.get("/api/v1/assets").json()["total"] == 0

    clip = tmp_path / "notes.wav"
    clip.write_bytes(b"not even media")
    with pytest.raises(IngestError, match=f"at most {MAX_TAGS}"):  # refused before the file is looked at
        ingest_file(services, clip, tags=[f"t{n}" for n in range(MAX_TAGS + 1)])


def test_a_tus_patch_over_the_limit_is_refused_unread_with_tus_headers(services: Services) -> None:
    app = create_app(services=services, run_workers=False)
    app.state.services = services

    async def patch() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mam") as client:
            return await client.patch(
                "/api/v1/uploads/" + "0" * 32,
                content=b"\0" * (LIMIT + 1),
                headers={
                    "Tus-Resumable": "1.0.0",
                    "Upload-Offset": "0",
                    "Content-Type": "application/offset+octet-stream",
                },
            )

    answer = asyncio.run(patch())
    assert answer.status_code == 413 and answer.headers["Tus-Resumable"] == "1.0.0"


def test_a_client_sending_200_mib_through_a_real_server_reads_the_413_whether_chunked_or_not(
    services: Services,
) -> None:
    chunk = b"\0" * (1 << 20)

    def chunked() -> Iterator[bytes]:
        yield HEAD
        for _ in range(200):
            yield chunk

    multipart = {**auth_headers(services), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    with live_server(create_app(services=services, run_workers=False), **SERVE_OPTIONS) as base:
        declared = httpx.post(f"{base}/api/v1/assets", content=HEAD + chunk * 200, headers=multipart, timeout=120)
        streamed = httpx.post(f"{base}/api/v1/assets", content=chunked(), headers=multipart, timeout=120)
    assert declared.status_code == 413 and "209715" in declared.json()["detail"]
    assert streamed.status_code == 413 and "exceeds the limit" in streamed.json()["detail"]
