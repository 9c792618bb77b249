"""Sharing: the province publishes an asset to chosen counties, which read it but cannot change it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Media, auth_headers, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.services import Services

PROVINCE, COUNTY_A, COUNTY_B = "province", "county-a", "county-b"


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with services.session() as session:
        for tenant, name in ((PROVINCE, "省级平台"), (COUNTY_A, "甲县融媒体中心"), (COUNTY_B, "乙县融媒体中心")):
            ensure_tenant(session, tenant, name)
    _KEYS.update({tenant: auth_headers(services, tenant) for tenant in (PROVINCE, COUNTY_A, COUNTY_B)})
    with signed_in(TestClient(create_app(services=services, run_workers=True))) as c:
        yield c


_KEYS: dict[str, dict[str, str]] = {}
"""An API key (administrator) of each tenant of the test, made by the fixture."""


def as_(tenant: str) -> dict[str, str]:
    return _KEYS[tenant]


def publish(client: TestClient, media: Media, title: str, *, phone: bool = False) -> dict[str, Any]:
    with (media.phone if phone else media.silent).open("rb") as handle:
        response = client.post(
            "/api/v1/assets",
            files={"file": (f"{title}.mp4", handle)},
            data={"title": title, "profiles": "proxy"},
            headers=as_(PROVINCE),
        )
    assert response.status_code == 201, response.text
    asset: dict[str, Any] = response.json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{asset['jobs'][0]['id']}", headers=as_(PROVINCE)).json()
        if job["state"] in ("done", "failed", "cancelled"):
            assert job["state"] == "done", job
            return asset
        time.sleep(0.1)
    raise AssertionError("the proxy was not made in time")


def listed(client: TestClient, tenant: str) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in client.get("/api/v1/assets", headers=as_(tenant)).json()["items"]}


def test_a_shared_asset_is_read_and_downloaded_by_its_county_but_changed_only_by_its_owner(
    client: TestClient, media: Media
) -> None:
    asset = publish(client, media, "全省防汛调度会")
    url = f"/api/v1/assets/{asset['id']}"
    assert asset["id"] not in listed(client, COUNTY_A)
    assert client.get(url, headers=as_(COUNTY_A)).status_code == 404

    granted = client.post(f"{url}/shares", json={"tenants": [COUNTY_A]}, headers=as_(PROVINCE))
    assert granted.status_code == 200, granted.text
    assert [s["tenant_id"] for s in granted.json()] == [COUNTY_A]
    again = client.post(f"{url}/shares", json={"tenants": [COUNTY_A]}, headers=as_(PROVINCE))
    assert [s["tenant_id"] for s in again.json()] == [COUNTY_A]  # sharing twice is a no-op

    mine = listed(client, PROVINCE)[asset["id"]]
    assert mine["owner"] == PROVINCE and mine["shared"] is False
    theirs = listed(client, COUNTY_A)[asset["id"]]
    assert theirs["owner"] == PROVINCE and theirs["shared"] is True
    read = client.get(url, headers=as_(COUNTY_A))
    assert read.status_code == 200 and read.json()["shared"] is True and read.json()["title"] == "全省防汛调度会"
    found = client.get("/api/v1/assets", params={"q": "防汛"}, headers=as_(COUNTY_A)).json()
    assert [a["id"] for a in found["items"]] == [asset["id"]]

    full = client.get(f"{url}/renditions/proxy", headers=as_(PROVINCE)).content
    part = client.get(f"{url}/renditions/proxy", headers={**as_(COUNTY_A), "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == full[:100]

    patched = client.patch(url, json={"title": "改了"}, headers=as_(COUNTY_A))
    assert patched.status_code == 403 and "only province" in patched.json()["detail"]
    exported = client.post(f"{url}/exports", json={"profile": "proxy"}, headers=as_(COUNTY_A))
    assert exported.status_code == 403
    reshared = client.post(f"{url}/shares", json={"tenants": [COUNTY_B]}, headers=as_(COUNTY_A))
    assert reshared.status_code == 403
    assert client.delete(f"{url}/shares/{COUNTY_A}", headers=as_(COUNTY_A)).status_code == 403
    assert client.get(url, headers=as_(PROVINCE)).json()["title"] == "全省防汛调度会"

    assert asset["id"] not in listed(client, COUNTY_B)
    assert client.get(url, headers=as_(COUNTY_B)).status_code == 404
    assert client.get(f"{url}/renditions/proxy", headers=as_(COUNTY_B)).status_code == 404
    assert client.patch(url, json={"title": "x"}, headers=as_(COUNTY_B)).status_code == 404

    assert client.delete(f"{url}/shares/{COUNTY_A}", headers=as_(PROVINCE)).status_code == 204
    assert asset["id"] not in listed(client, COUNTY_A)
    assert client.get(url, headers=as_(COUNTY_A)).status_code == 404
    assert client.get(f"{url}/renditions/proxy", headers=as_(COUNTY_A)).status_code == 404
    assert client.delete(f"{url}/shares/{COUNTY_A}", headers=as_(PROVINCE)).status_code == 404


def test_sharing_with_an_unknown_tenant_or_with_the_owner_itself_is_a_422_that_says_why(
    client: TestClient, media: Media
) -> None:
    asset = publish(client, media, "省台新闻")
    url = f"/api/v1/assets/{asset['id']}/shares"
    unknown = client.post(url, json={"tenants": [COUNTY_A, "county-z"]}, headers=as_(PROVINCE))
    assert unknown.status_code == 422 and "county-z" in unknown.json()["detail"]
    itself = client.post(url, json={"tenants": [PROVINCE]}, headers=as_(PROVINCE))
    assert itself.status_code == 422 and "owns" in itself.json()["detail"]
    assert client.get(url, headers=as_(PROVINCE)).json() == []  # nothing half-granted


def test_a_county_finds_an_asset_shared_with_it_by_search_until_the_share_is_revoked(
    client: TestClient, media: Media
) -> None:
    shared = publish(client, media, "全省防汛调度会")
    publish(client, media, "防汛内部稿", phone=True)  # the province's own, not shared
    client.post(f"/api/v1/assets/{shared['id']}/shares", json={"tenants": [COUNTY_A]}, headers=as_(PROVINCE))
    hits = client.get("/api/v1/search", params={"q": "防汛"}, headers=as_(COUNTY_A)).json()["items"]
    assert [(h["asset"]["id"], h["asset"]["shared"]) for h in hits] == [(shared["id"], True)]
    assert client.get("/api/v1/search", params={"q": "防汛"}, headers=as_(COUNTY_B)).json()["items"] == []
    by_date = client.get("/api/v1/search", params={"q": "防汛", "sort": "duration"}, headers=as_(COUNTY_A)).json()
    assert [h["asset"]["id"] for h in by_date["items"]] == [shared["id"]]
    assert client.delete(f"/api/v1/assets/{shared['id']}/shares/{COUNTY_A}", headers=as_(PROVINCE)).status_code == 204
    assert client.get("/api/v1/search", params={"q": "防汛"}, headers=as_(COUNTY_A)).json()["items"] == []
    mine = client.get("/api/v1/search", params={"q": "防汛"}, headers=as_(PROVINCE)).json()["items"]
    assert len(mine) == 2  # the owner still finds both
