"""The asset list's ``q`` is the search: ``GET /api/v1/assets?q=`` and ``mam assets -q`` find what
``/api/v1/search`` finds (a Chinese tag, pinyin, either script), on SQLite and PostgreSQL alike, and
a query too long to be one is refused with a short message on the list and the search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import catalog_asset, make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.search.query import MAX_QUERY_CHARS
from mam.services import open_services
from mam.settings import Settings

MAM = Path(sys.executable).parent / "mam"

WATER, FLOOD, SPORT = "城区供水管网改造", "東山街道防汛檢查", "体育快讯 篮球比赛"
"""Three assets: tagged 民生 and 乡村振兴 (neither in its title); catalogued in traditional script; neither."""


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    env = {} if request.param == "sqlite" else {"MAM_DATABASE_URL": request.getfixturevalue("postgres_url")}
    settings = make_settings(tmp_path / "home", **env)
    services = open_services(settings)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    try:
        with services.session() as session:
            for n, (title, tags) in enumerate([(WATER, ["民生", "乡村振兴"]), (FLOOD, ["防汛"]), (SPORT, ["体育"])]):
                asset = catalog_asset(settings.default_tenant, n, title)
                asset.tags = tags
                asset.created_at = start + timedelta(minutes=n)  # SPORT newest, WATER oldest
                session.add(asset)
            session.commit()
    finally:
        services.close()
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(settings, run_workers=False))) as c:
        yield c


def _listed(client: TestClient, q: str | None = None) -> list[str]:
    response = client.get("/api/v1/assets", params={} if q is None else {"q": q})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["title"] for item in body["items"]]


def _searched(client: TestClient, q: str) -> list[str]:
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["asset"]["title"] for hit in response.json()["items"]]


def _mam_assets(settings: Settings, q: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env |= {"MAM_HOME": str(settings.home), "MAM_DATABASE_URL": settings.database_url}
    done = subprocess.run([str(MAM), "assets", "-q", q, "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["total"] == len(body["items"])
    return [item["title"] for item in body["items"]]


QUERIES = {
    "民生": [WATER],  # a Chinese tag, not in any title (SQLite's LIKE over JSON-escaped tags never saw it)
    "minsheng": [WATER],  # its pinyin
    "鄉村振興": [WATER],  # the other tag, written in traditional script
    "防汛检查": [FLOOD],  # simplified, for a title catalogued in traditional script
    "tag:体育": [SPORT],  # the search's own filter syntax
    "不存在的词语": [],
}


def test_the_list_finds_what_the_search_finds_by_tag_pinyin_and_either_script(client: TestClient) -> None:
    for q, expected in QUERIES.items():
        assert _listed(client, q) == expected, q
        assert _searched(client, q) == expected, q


def test_mam_assets_q_finds_by_a_chinese_tag_its_pinyin_and_traditional_script(settings: Settings) -> None:
    for q in ("民生", "minsheng", "鄉村振興"):
        assert _mam_assets(settings, q) == [WATER], q


def test_without_q_the_list_is_every_asset_newest_first(client: TestClient) -> None:
    assert _listed(client) == [SPORT, FLOOD, WATER]
    assert _listed(client, "  ") == [SPORT, FLOOD, WATER]


def test_a_query_too_long_is_refused_by_the_list_and_the_search_quoting_only_its_start(client: TestClient) -> None:
    q = "民生" + "x" * 60_000
    for path in ("/api/v1/assets", "/api/v1/search"):
        response = client.get(path, params={"q": q})
        assert response.status_code == 422, (path, response.text[:300])
        assert len(response.content) < 1000  # not the query echoed back
        detail = response.json()["detail"]
        assert "60,002 characters" in detail and str(MAX_QUERY_CHARS) in detail and "'民生xxx" in detail
    # At the limit it is still a query.
    at_limit = "民生 " + "x" * (MAX_QUERY_CHARS - 3)
    assert client.get("/api/v1/assets", params={"q": at_limit}).status_code == 200
    assert client.get("/api/v1/search", params={"q": at_limit}).status_code == 200
