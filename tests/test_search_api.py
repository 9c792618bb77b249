"""GET /api/v1/search and `mam search` on the embedded default, over the shared Chinese test set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import client_headers, make_settings, signed_in
from fastapi.testclient import TestClient
from sqlalchemy import delete
from test_cli import run
from test_search_chinese import load_news

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.models import SearchEntry
from mam.search import SearchRequest, search
from mam.services import open_services
from mam.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path / "home")
    services = open_services(settings)
    try:
        load_news(services)
        with services.session() as session:
            ensure_tenant(session, "other", "Another county")
    finally:
        services.close()
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(settings, run_workers=False))) as c:
        yield c


def test_a_search_returns_subtitle_hits_with_timecodes_and_highlighted_snippets(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "东山"}).json()
    assert body["total"] == 1
    hit = body["items"][0]
    assert hit["asset"]["title"] == "县城CCTV13连线报道" and hit["place"] == "东山街道"
    assert hit["inner_hits"] == [
        {
            "kind": "subtitle",
            "id": hit["inner_hits"][0]["id"],
            "start": 12.5,
            "end": 15.0,
            "start_tc": "00:00:12.500",
            "end_tc": "00:00:15.000",
            "snippet": "今天我们来到湘乡<mark>东山</mark>",
        }
    ]


def test_facets_count_programmes_tags_media_types_and_shoot_months(client: TestClient) -> None:
    facets = client.get("/api/v1/search", params={"q": "湘乡"}).json()["facets"]
    assert facets["programme"] == [{"value": "湘乡新闻", "count": 3}, {"value": "新闻联播", "count": 1}]
    assert {"value": "农业", "count": 1} in facets["tags"]
    assert facets["media_type"] == [{"value": "video", "count": 4}]
    assert {"value": "2024-06", "count": 1} in facets["shoot_month"]


def test_cursor_pages_walk_every_match_once(client: TestClient) -> None:
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "facets": "false", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/search", params=params).json()
        seen += [i["asset"]["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == page["total"] == 7


def test_field_filters_given_as_parameters_narrow_the_search(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"programme": "湘乡新闻", "tag": "农业"}).json()
    assert [i["asset"]["title"] for i in body["items"]] == ["韶山茶叶丰收"]


def test_another_tenant_finds_nothing_of_ours(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "湘乡"}, headers=client_headers(client, "other")).json()
    assert body["total"] == 0 and body["items"] == []


def test_a_patched_asset_is_found_by_its_new_metadata_at_once(client: TestClient) -> None:
    asset_id = client.get("/api/v1/search", params={"q": "水"}).json()["items"][0]["asset"]["id"]
    patched = client.patch(
        f"/api/v1/assets/{asset_id}", json={"reporter": "歐陽娜娜", "shoot_date": "2024-09-01", "place": "涟水河"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["reporter"] == "歐陽娜娜" and patched.json()["shoot_date"] == "2024-09-01"
    found = client.get("/api/v1/search", params={"q": "reporter:欧阳娜娜"}).json()
    assert [i["asset"]["id"] for i in found["items"]] == [asset_id]
    assert client.get("/api/v1/search", params={"q": "ouyang"}).json()["total"] == 1


def test_a_malformed_date_range_is_a_422_that_says_what_to_write(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "date:yesterday"})
    assert response.status_code == 422 and "YYYY-MM-DD" in response.json()["detail"]


def test_mam_search_prints_json_and_a_table(settings: Settings) -> None:
    result = run(settings.home, "search", "xiangxiang", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["total"] == 3 and body["items"][0]["asset"]["title"] == "湘鄉市防汛搶險工作部署會"
    table = run(settings.home, "search", "采茶")
    assert table.returncode == 0, table.stderr
    assert "1 found" in table.stdout and "00:00:30.000" in table.stdout and "marker" in table.stdout


def test_mam_search_takes_duration_offset_tenant_and_facet_options(settings: Settings) -> None:
    # Two of the news set last 100-250 s (tea, then visit, oldest first); the second page of one.
    args = ["--min-duration", "100", "--max-duration", "250", "--sort", "oldest", "--limit", "1", "--offset", "1"]
    result = run(settings.home, "search", *args, "--no-facets", "--tenant", "default", "--json")
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert [i["asset"]["title"] for i in page["items"]] == ["臺灣同胞來訪"]
    assert (page["total"], page["offset"], page["facets"], page["next_cursor"]) == (2, 1, None, None)
    other = run(settings.home, "search", "湘乡", "--tenant", "other", "--json")
    assert other.returncode == 0 and json.loads(other.stdout)["total"] == 0


def _search_keys(settings: Settings, query: str) -> list[str]:
    services = open_services(settings)
    try:
        with services.session() as session:
            return [h.asset.title for h in search(session, "default", SearchRequest(q=query)).hits]
    finally:
        services.close()


def test_mam_reindex_rebuilds_the_index_from_the_catalog(settings: Settings) -> None:
    services = open_services(settings)
    try:
        with services.session() as session:
            session.execute(delete(SearchEntry))  # an index that lost its entries, or predates a change
            session.commit()
    finally:
        services.close()
    assert _search_keys(settings, "采茶") == []
    result = run(settings.home, "reindex")
    assert result.returncode == 0, result.stderr
    assert "9 documents indexed" in result.stdout  # seven assets, one marker, one subtitle line
    assert _search_keys(settings, "programme:湘乡新闻 采茶") == ["韶山茶叶丰收"]
    assert sorted(_search_keys(settings, "xx")) == ["水", "湘鄉市防汛搶險工作部署會", "韶山茶叶丰收"]


def test_mam_optimize_index_merges_the_full_text_segments_and_keeps_the_hits(settings: Settings) -> None:
    from sqlalchemy import text

    services = open_services(settings)
    try:
        with services.session() as session:
            segments = "SELECT COUNT(DISTINCT segid) FROM search_fts_idx"
            assert session.execute(text(segments)).scalar_one() > 1  # one per committed batch, at first
    finally:
        services.close()
    before = sorted(_search_keys(settings, "xx"))
    result = run(settings.home, "optimize-index")
    assert result.returncode == 0, result.stderr
    assert "merged into one segment" in result.stdout
    services = open_services(settings)
    try:
        with services.session() as session:
            assert session.execute(text(segments)).scalar_one() == 1
    finally:
        services.close()
    assert sorted(_search_keys(settings, "xx")) == before
