"""Uploads cut off by a killed `mam serve` (SIGKILL, real processes): what they left is removed by
the janitor of the next server once it has expired, and nothing else stays behind."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from conftest import auth_headers, make_settings
from live_server import free_port

from mam.services import open_services

MAM = Path(sys.executable).parent / "mam"
TUS = {"Tus-Resumable": "1.0.0"}


@contextmanager
def mam_serve(home: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAM_")}, "MAM_HOME": str(home)}
    server = subprocess.Popen(
        [str(MAM), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "mam serve did not start"
            time.sleep(0.2)
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)


def key_of(home: Path) -> dict[str, str]:
    """An API key (editor) made in the catalog the server uses."""
    services = open_services(make_settings(home))
    try:
        return auth_headers(services, role="editor")
    finally:
        services.close()


def start_body(port: int, head: str, first_bytes: bytes) -> socket.socket:
    """A request whose body stops arriving after ``first_bytes`` (the connection stays open)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head.encode() + first_bytes)
    return sock


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def files_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def test_bytes_of_uploads_cut_off_by_a_killed_server_are_removed_once_they_expire(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    work = home / "work"
    with mam_serve(home, port) as server:
        base = f"http://127.0.0.1:{port}"
        key = key_of(home)
        name = base64.b64encode(b"field.mp4").decode()
        made = httpx.post(
            f"{base}/api/v1/uploads",
            headers={**key, **TUS, "Upload-Length": "1000000", "Upload-Metadata": f"filename {name}"},
        )
        url = made.headers["Location"]
        octets = {**key, **TUS, "Content-Type": "application/offset+octet-stream"}
        assert (
            httpx.patch(base + url, content=b"a" * 300_000, headers={**octets, "Upload-Offset": "0"}).status_code == 204
        )
        patching = start_body(
            port,
            f"PATCH {url} HTTP/1.1\r\nHost: x\r\nAuthorization: {key['Authorization']}\r\n"
            "Tus-Resumable: 1.0.0\r\nUpload-Offset: 300000\r\n"
            "Content-Type: application/offset+octet-stream\r\nContent-Length: 700000\r\n\r\n",
            b"b" * 200_000,
        )
        boundary = "killedboundary"
        posting = start_body(
            port,
            f"POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: {key['Authorization']}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Content-Length: 5000000\r\n\r\n",
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.mp4"\r\n\r\n'.encode()
            + b"c" * 1_000_000,
        )
        data = next((work / "tus" / url.rsplit("/", 1)[1]).glob("data*"))
        wait_for(lambda: data.stat().st_size == 500_000, "the server did not write the bytes it received")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        patching.close()
        posting.close()

    left = files_under(work)
    assert sum(left.values()) >= 500_000 and not any(k.startswith("uploads/") and v for k, v in left.items())
    then = time.time() - 25 * 3600  # a day passes (MAM_UPLOAD_EXPIRY_HOURS=24)
    for path in [*(work / "tus").rglob("*"), *(work / "tus").iterdir()]:
        os.utime(path, (then, then))

    with mam_serve(home, port):
        wait_for(lambda: not any((work / "tus").iterdir()), "the janitor did not remove the expired upload")
        assert httpx.head(f"http://127.0.0.1:{port}{url}", headers={**key, **TUS}).status_code == 404
    assert files_under(work) == {}
