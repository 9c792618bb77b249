"""A 200 MB upload over a real HTTP server: the connection drops at half, tuspy resumes it."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
import uvicorn
from conftest import auth_headers, make_settings
from tusclient.client import TusClient

from api.app import create_app

SIZE_MB = 200
AUTH: dict[str, str] = {}
"""The Authorization header of an API key of the running server (set by the ``server`` fixture)."""


@pytest.fixture(scope="module")
def big_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 200 MB of stereo 48 kHz PCM (18 minutes of quiet noise), made once."""
    path = tmp_path_factory.mktemp("big") / "long_bulletin.wav"
    frames = SIZE_MB * 1024 * 1024 // 4
    samples = np.random.default_rng(6).integers(-2000, 2000, size=frames * 2, dtype=np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(samples.tobytes())
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def server(home: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = create_app(make_settings(home), run_workers=False)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    AUTH.update(auth_headers(app.state.services, role="editor"))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it (what tuspy sends)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.sent += len(data)
        return data


def drop_connection_after(url: str, source: Path, stop_after: int) -> None:
    """PATCH the whole file but hang up after ``stop_after`` bytes, as a failing link would."""
    parts = urlsplit(url)
    size = source.stat().st_size
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTus-Resumable: 1.0.0\r\n"
        f"Authorization: {AUTH['Authorization']}\r\n"
        f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {size}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port)) as sock, source.open("rb") as handle:
        sock.sendall(head.encode())
        sent = 0
        while sent < stop_after:
            chunk = handle.read(min(1 << 20, stop_after - sent))
            sock.sendall(chunk)
            sent += len(chunk)
        sock.shutdown(socket.SHUT_RDWR)


def settled_offset(url: str) -> int:
    """The server's offset once it has noticed the hang-up and written what it received."""
    last = -1
    for _ in range(100):
        offset = int(httpx.head(url, headers={**AUTH, "Tus-Resumable": "1.0.0"}).headers["Upload-Offset"])
        if offset == last:
            return offset
        last = offset
        time.sleep(0.2)
    raise AssertionError("the upload offset never settled")


def test_a_200_mb_upload_dropped_at_half_resumes_with_tuspy_and_stores_the_same_bytes(
    server: str, home: Path, big_wav: Path
) -> None:
    size = big_wav.stat().st_size
    source_sha256 = hashlib.sha256(big_wav.read_bytes()).hexdigest()
    client = TusClient(f"{server}/api/v1/uploads", headers=AUTH)
    metadata = {"filename": big_wav.name, "title": "长篇广播", "profiles": "proxy", "sha256": source_sha256}
    started = time.monotonic()
    first = client.uploader(file_path=str(big_wav), chunk_size=16 << 20, metadata=metadata)
    url = first.create_url()
    drop_connection_after(url, big_wav, size // 2)
    kept = settled_offset(url)
    assert size * 0.4 < kept <= size // 2
    assert httpx.get(f"{server}/api/v1/assets", headers=AUTH).json()["total"] == 0  # nothing half-written registered

    stream = CountingFile(big_wav)
    resumed = client.uploader(file_stream=stream, url=url, chunk_size=16 << 20, metadata=metadata, upload_checksum=True)
    assert resumed.offset == kept  # tuspy asked the server (HEAD) where to resume
    resumed.upload()
    elapsed = time.monotonic() - started
    stream.close()
    print(
        f"\n{size} bytes; {kept} kept at the drop; {stream.sent} sent after resuming "
        f"({stream.sent / size:.1%}); {elapsed:.1f} s in all"
    )
    assert stream.sent == size - kept and 0.45 < stream.sent / size < 0.6

    asset_id = resumed.request.response_headers["mam-asset-id"]
    asset = httpx.get(f"{server}/api/v1/assets/{asset_id}", headers=AUTH).json()
    assert asset["sha256"] == source_sha256 and asset["size"] == size and asset["media_kind"] == "audio"
    (stored,) = (home / "storage").rglob(f"*/assets/{asset_id}/original/*")
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == source_sha256
