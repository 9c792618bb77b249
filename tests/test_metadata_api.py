"""The cataloguing API: custom fields per tenant, spans, subtitles, rights and language; search parameters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import client_headers, make_settings, signed_in
from fastapi.testclient import TestClient
from test_search_chinese import load_news

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.models import Asset
from mam.services import open_services
from mam.settings import Settings


@pytest.fixture
def news(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    settings = make_settings(tmp_path / "home")
    services = open_services(settings)
    try:
        ids = load_news(services)
        with services.session() as session:
            ensure_tenant(session, "other", "Another county")
            failed = session.get(Asset, ids["farm"])
            assert failed is not None
            failed.status = "failed"
            session.commit()
    finally:
        services.close()
    return settings, ids


@pytest.fixture
def client(news: tuple[Settings, dict[str, str]]) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(news[0], run_workers=False))) as c:
        yield c


def _titles(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/api/v1/search", params={"facets": "false", "limit": 50, **params})
    assert response.status_code == 200, response.text
    return [i["asset"]["title"] for i in response.json()["items"]]


def test_date_duration_status_and_offset_parameters_narrow_and_page_the_search(client: TestClient) -> None:
    assert _titles(client, date_from="2024-06-01", date_to="2024-07-31", sort="oldest") == [
        "湘鄉市防汛搶險工作部署會",
        "县城CCTV13连线报道",
    ]
    assert _titles(client, duration_min=100, duration_max=250, sort="oldest") == ["韶山茶叶丰收", "臺灣同胞來訪"]
    assert _titles(client, q="防汛", status="failed") == ["农业简讯"]
    assert _titles(client, q="防汛 status:ready") == ["湘鄉市防汛搶險工作部署會"]
    everything = _titles(client, sort="oldest")
    assert _titles(client, sort="oldest", offset=2, limit=2) == everything[2:4]
    assert client.get("/api/v1/search", params={"status": "lost"}).status_code == 422


def test_custom_fields_belong_to_one_tenant_and_are_validated_when_an_asset_is_written(
    client: TestClient, news: tuple[Settings, dict[str, str]]
) -> None:
    asset = news[1]["tea"]
    put = client.put("/api/v1/fields/channel", json={"kind": "enum", "label": "频道", "options": ["新闻综合", "公共"]})
    assert put.status_code == 200, put.text
    assert client.put("/api/v1/fields/airdate", json={"kind": "date"}).status_code == 200
    assert [f["name"] for f in client.get("/api/v1/fields").json()] == ["airdate", "channel"]
    assert client.get("/api/v1/fields", headers=client_headers(client, "other")).json() == []
    # The kinds are an enum of the schema: an unknown one is refused naming those it may be.
    colour = client.put("/api/v1/fields/x", json={"kind": "colour"})
    assert colour.status_code == 422 and "'keyword'" in colour.text and "'enum'" in colour.text
    no_options = client.put("/api/v1/fields/x", json={"kind": "enum"})
    assert no_options.status_code == 422 and "needs its options" in no_options.text
    assert client.put("/api/v1/fields/programme", json={"kind": "text"}).status_code == 422

    ok = client.patch(f"/api/v1/assets/{asset}", json={"custom": {"channel": "公共", "airdate": "2024-03-01"}})
    assert ok.status_code == 200 and ok.json()["custom"] == {"channel": "公共", "airdate": "2024-03-01"}
    wrong = client.patch(f"/api/v1/assets/{asset}", json={"custom": {"channel": "体育"}})
    assert wrong.status_code == 422 and "not one of" in wrong.json()["detail"]
    assert client.get(f"/api/v1/assets/{asset}").json()["custom"]["channel"] == "公共"  # unchanged

    assert client.delete("/api/v1/fields/channel").status_code == 204
    assert client.delete("/api/v1/fields/channel").status_code == 404
    gone = client.patch(f"/api/v1/assets/{asset}", json={"custom": {"channel": "公共"}})
    assert gone.status_code == 422 and "unknown custom field" in gone.json()["detail"]


def test_rights_expiry_and_language_are_kept_and_checked(
    client: TestClient, news: tuple[Settings, dict[str, str]]
) -> None:
    asset = news[1]["live"]
    body = {"rights": "仅限本台播出", "rights_expiry": "2025-12-31", "language": "zh-CN"}
    assert client.patch(f"/api/v1/assets/{asset}", json=body).status_code == 200
    stored = client.get(f"/api/v1/assets/{asset}").json()
    assert {k: stored[k] for k in body} == body
    assert client.patch(f"/api/v1/assets/{asset}", json={"rights_expiry": "next year"}).status_code == 422
    assert client.patch(f"/api/v1/assets/{asset}", json={"language": "x" * 36}).status_code == 422
    assert client.patch(f"/api/v1/assets/{asset}", json={"rights_expiry": None}).status_code == 200
    assert client.get(f"/api/v1/assets/{asset}").json()["rights_expiry"] is None


def test_segments_are_catalogued_listed_found_with_timecodes_and_deleted(
    client: TestClient, news: tuple[Settings, dict[str, str]]
) -> None:
    asset = news[1]["live"]
    made = client.post(
        f"/api/v1/assets/{asset}/spans",
        json={"kind": "segment", "start": 120.5, "end": 180.0, "title": "第二段 群众采访", "tags": ["采访"]},
    )
    assert made.status_code == 201, made.text
    span = made.json()
    assert (span["start_tc"], span["end_tc"]) == ("00:02:00.500", "00:03:00.000")
    client.post(f"/api/v1/assets/{asset}/spans", json={"kind": "marker", "start": 10.0, "note": "片头"})
    assert [s["kind"] for s in client.get(f"/api/v1/assets/{asset}/spans").json()] == ["marker", "segment"]
    assert [s["id"] for s in client.get(f"/api/v1/assets/{asset}/spans", params={"kind": "segment"}).json()] == [
        span["id"]
    ]
    hits = client.get("/api/v1/search", params={"q": "群众采访"}).json()["items"]
    segment = [i for h in hits for i in h["inner_hits"] if i["kind"] == "segment"]
    assert [(i["id"], i["start_tc"]) for i in segment] == [(span["id"], "00:02:00.500")]

    assert client.post(f"/api/v1/assets/{asset}/spans", json={"kind": "segment", "start": 400.0}).status_code == 422
    not_analysed = client.post(f"/api/v1/assets/{asset}/spans", json={"kind": "shot", "shot": 1, "title": "远景"})
    assert not_analysed.status_code == 404 and "no detected shot 1" in not_analysed.json()["detail"]
    assert client.get(f"/api/v1/assets/{asset}/spans", headers=client_headers(client, "other")).status_code == 404
    assert client.delete(f"/api/v1/assets/{asset}/spans/{span['id']}").status_code == 204
    assert client.get("/api/v1/search", params={"q": "群众采访"}).json()["total"] == 0


def test_subtitles_upload_in_utf8_or_gb18030_and_list_with_timecodes(
    client: TestClient, news: tuple[Settings, dict[str, str]]
) -> None:
    asset = news[1]["visit"]
    srt = "1\n00:00:01,000 --> 00:00:02,500\n两岸同胞欢聚一堂\n\n2\n00:01:05,000 --> 00:01:07,000\n交流座谈会\n"
    sent = client.post(
        f"/api/v1/assets/{asset}/subtitles",
        files={"file": ("zh.srt", srt.encode("gb18030"), "application/x-subrip")},
        data={"track": "zh"},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json() == {"asset_id": asset, "track": "zh", "cues": 2}
    cues = client.get(f"/api/v1/assets/{asset}/subtitles", params={"track": "zh"}).json()
    assert [(c["position"], c["start_tc"], c["text"]) for c in cues] == [
        (1, "00:00:01.000", "两岸同胞欢聚一堂"),
        (2, "00:01:05.000", "交流座谈会"),
    ]
    hit = client.get("/api/v1/search", params={"q": "座谈"}).json()["items"][0]
    assert [(i["kind"], i["start_tc"]) for i in hit["inner_hits"]] == [("subtitle", "00:01:05.000")]
    bad = client.post(f"/api/v1/assets/{asset}/subtitles", files={"file": ("x.srt", b"no cues here")})
    assert bad.status_code == 422 and "-->" in bad.json()["detail"]
