"""How the built workspace reaches a browser: hashed files cached for good (immutable) and sent as the
copy the build compressed (brotli, else gzip) to a browser that takes it, as they are to one that does
not; the first page's chunks and the session check are preloaded by index.html."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def client(web_dist: Path, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path / "home", MAM_WEB_DIST=str(web_dist)))) as started:
        yield started


def _entry(client: TestClient) -> str:
    (script,) = re.findall(r'<script[^>]*src="(/_app/[^"]+\.js)"', client.get("/").text)
    return str(script)


def _sent(client: TestClient, path: str, accept: str) -> tuple[dict[str, str], bytes]:
    """The answer's headers and its body as sent (not decoded)."""
    with client.stream("GET", path, headers={"Accept-Encoding": accept}) as answer:
        assert answer.status_code == 200, (path, accept)
        return dict(answer.headers), b"".join(answer.iter_raw())


def test_a_script_is_sent_as_the_builds_brotli_or_gzip_copy_or_as_it_is(client: TestClient, web_dist: Path) -> None:
    script = _entry(client)
    built = web_dist / script.removeprefix("/")
    for accept, coding, body in (
        ("gzip, deflate, br, zstd", "br", built.with_name(built.name + ".br").read_bytes()),
        ("gzip, deflate", "gzip", built.with_name(built.name + ".gz").read_bytes()),
        ("br;q=0, gzip", "gzip", built.with_name(built.name + ".gz").read_bytes()),
        ("identity", None, built.read_bytes()),
    ):
        headers, sent = _sent(client, script, accept)
        assert headers["cache-control"] == IMMUTABLE and "Accept-Encoding" in headers["vary"], accept
        assert "javascript" in headers["content-type"] and headers.get("content-encoding") == coding, accept
        assert sent == body, accept
    assert gzip.decompress(built.with_name(built.name + ".gz").read_bytes()) == built.read_bytes()
    assert len(built.with_name(built.name + ".br").read_bytes()) < 0.4 * len(built.read_bytes())


def test_a_file_not_built_is_not_found_even_beside_a_compressed_copy(client: TestClient, web_dist: Path) -> None:
    stray = web_dist / "_app" / "not-built.js.gz"
    stray.write_bytes(gzip.compress(b"alert(1)"))
    try:
        assert client.get("/_app/not-built.js", headers={"Accept-Encoding": "gzip"}).status_code == 404
    finally:
        stray.unlink()


def test_the_page_preloads_the_first_pages_chunks_and_the_session_check(client: TestClient, web_dist: Path) -> None:
    html = client.get("/").text
    preloaded = re.findall(r'<link rel="modulepreload"[^>]*href="(/_app/[^"]+)"', html)
    assert any(re.fullmatch(r"/_app/AssetsPage-[\w-]+\.js", p) for p in preloaded)
    assert all(client.get(p).status_code == 200 for p in preloaded)
    assert re.search(r'<link rel="preload" href="/api/v1/session" as="fetch" crossorigin="anonymous">', html)
