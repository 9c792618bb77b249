"""A real S3 server for tests: moto's standalone server over HTTP on 127.0.0.1.

Import the ``s3_endpoint`` fixture (from conftest.py or a test module). Tests talk to the server through
``endpoint_url`` like any S3 client would; moto's in-process mocks are never used.

If the server cannot start, tests that need it fail when ``CI`` is set and are skipped otherwise.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

__all__ = ["s3_endpoint", "start_moto_server"]

_START_TIMEOUT_SECONDS = 20.0


def start_moto_server() -> tuple[Any, str]:
    """Start ``ThreadedMotoServer`` on a free port; return it and its ``http://`` URL.

    Raises ``RuntimeError`` saying why when the server cannot start or does not answer.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # moto[server] pulls in flask, werkzeug, ...
        raise RuntimeError(f"moto's server is not importable ({exc}); install moto[server]") from exc

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    # start() waits for the server thread without a timeout, and waits forever if binding fails.
    starter = threading.Thread(target=server.start, name="moto-start", daemon=True)
    starter.start()
    starter.join(_START_TIMEOUT_SECONDS)
    if starter.is_alive():
        raise RuntimeError(f"moto server did not start within {_START_TIMEOUT_SECONDS:.0f}s")
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while True:
        try:
            httpx.get(f"{url}/moto-api/data.json", timeout=5.0)
            return server, url
        except httpx.HTTPError as exc:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"moto server at {url} does not answer: {exc}") from exc
            time.sleep(0.1)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The ``http://127.0.0.1:<port>`` URL of a moto S3 server shared by the session."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ.setdefault(name, value)
    try:
        server, url = start_moto_server()
    except Exception as exc:
        reason = f"moto S3 server could not start: {exc}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield url
    finally:
        server.stop()
