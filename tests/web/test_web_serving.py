"""mam serve serves the built workspace: the page at / and at any page's path (SPA fallback), its files
under /_app/ cached for good, no inline script or style (the page's CSP allows none), the API's own
answers untouched; MAM_WEB_DIST says where the build is, and without one / says how to make it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import client_headers, make_settings
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture
def client(web_dist: Path, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path / "home", MAM_WEB_DIST=str(web_dist)))) as started:
        yield started


def test_the_page_is_served_at_root_and_at_every_page_path_with_its_policy(client: TestClient) -> None:
    for path in ("/", "/assets", "/assets/0e0cf0f1-bcca-4c5d-95ee-486b7c433fd3?t=12.5", "/jobs", "/signin"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
        assert '<div id="app">' in page.text and page.headers["cache-control"] == "no-cache"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self';" in policy and "frame-ancestors 'none'" in policy


def test_the_built_page_has_no_inline_script_style_or_handler(client: TestClient) -> None:
    html = client.get("/").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="/_app/' in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)


def test_the_built_files_are_served_and_cached_for_good(client: TestClient) -> None:
    html = client.get("/").text
    (script,) = re.findall(r'<script[^>]*src="(/_app/[^"]+\.js)"', html)
    answer = client.get(script)
    assert answer.status_code == 200 and "javascript" in answer.headers["content-type"]
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/_app/nothing-here.js").status_code == 404


def test_the_apis_answers_are_not_the_page(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/assets").status_code == 401
    assert client.get("/openapi.json").json()["info"]["title"] == "mam"
    assert client.post("/assets").status_code in (404, 405)  # only GET and HEAD fall back to the page


def test_without_a_build_the_root_says_how_to_make_one(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", MAM_WEB_DIST=str(tmp_path / "no-build"))
    with TestClient(create_app(settings)) as client:
        page = client.get("/assets")
        assert page.status_code == 503 and "make install" in page.text
        assert "content-security-policy" in page.headers


def test_the_session_lists_what_the_role_may_do_so_the_page_can_hide_the_rest(client: TestClient) -> None:
    newsroom = client.get("/api/v1/session", headers=client_headers(client, role="newsroom")).json()
    assert newsroom["role"] == "newsroom" and "asset:read" in newsroom["permissions"]
    assert "asset:create" not in newsroom["permissions"] and "asset:delete" not in newsroom["permissions"]
    assert newsroom["renditions"] == ["proxy", "poster", "hls", "web_*"]
    admin = client.get("/api/v1/session", headers=client_headers(client, role="admin")).json()
    assert {"asset:create", "asset:delete", "job:cancel"} <= set(admin["permissions"])
    assert admin["permissions"] == sorted(admin["permissions"])
