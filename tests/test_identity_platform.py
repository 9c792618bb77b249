"""The platform operator looks after its counties' administrators over HTTP (lists, disables, revokes),
and what it does in a county is in that county's audit trail as well as its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import client_headers, make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from mam.audit import verify
from mam.catalog import ensure_tenant
from mam.services import Services

PASSWORD = "湘江两岸 spring rains"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path / "home"), run_workers=False)) as c:
        services: Services = c.app.state.services  # type: ignore[attr-defined]
        with services.session() as session:
            for tenant in ("province", "county-b"):
                ensure_tenant(session, tenant)
        yield c


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _audit(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/audit", params={"limit": 500}, headers=headers)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["items"]
    return entries


def _county(client: TestClient, platform: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """County x below the province, with an administrator (x.admin) and an administrator's key."""
    assert client.post("/api/v1/tenants", json={"id": "county-x"}, headers=platform).status_code == 201
    admin = client.post(
        "/api/v1/tenants/county-x/admins", json={"name": "x.admin", "password": PASSWORD}, headers=platform
    )
    key = client.post("/api/v1/tenants/county-x/keys", json={"name": "x admin key"}, headers=platform)
    assert admin.status_code == 201 and key.status_code == 201, (admin.text, key.text)
    return admin.json(), key.json()


def test_the_platform_lists_disables_and_revokes_its_countys_administrators(client: TestClient) -> None:
    platform = client_headers(client, "province", "platform")
    admin, key = _county(client, platform)
    # the county's own administrator makes an editor and an editor's key: the county's business
    county_admin = _bearer(key["key"])
    editor = client.post(
        "/api/v1/users", json={"name": "x.editor", "role": "editor", "password": PASSWORD}, headers=county_admin
    )
    editor_key = client.post("/api/v1/keys", json={"role": "editor"}, headers=county_admin)
    assert editor.status_code == 201 and editor_key.status_code == 201

    users = client.get("/api/v1/tenants/county-x/users", headers=platform)
    assert users.status_code == 200 and [u["name"] for u in users.json()] == ["x.admin"]
    keys = client.get("/api/v1/tenants/county-x/keys", headers=platform)
    assert keys.status_code == 200 and [k["id"] for k in keys.json()] == [key["id"]]
    assert key["key"].split("_", 2)[2] not in keys.text

    # the county's editor is not the platform's to manage: not found, and keeps working
    assert client.post("/api/v1/tenants/county-x/users/x.editor/disable", headers=platform).status_code == 404
    assert (
        client.delete(f"/api/v1/tenants/county-x/keys/{editor_key.json()['id']}", headers=platform).status_code == 404
    )
    assert client.get("/api/v1/assets", headers=_bearer(editor_key.json()["key"])).status_code == 200

    signed = client.post("/api/v1/session", json={"name": "x.admin", "password": PASSWORD})
    assert signed.status_code == 200
    client.cookies.clear()
    disabled = client.post("/api/v1/tenants/county-x/users/x.admin/disable", headers=platform)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.post("/api/v1/session", json={"name": "x.admin", "password": PASSWORD}).status_code == 401

    assert client.delete(f"/api/v1/tenants/county-x/keys/{key['prefix']}", headers=platform).status_code == 204
    refused = client.get("/api/v1/assets", headers=county_admin)
    assert refused.status_code == 401
    assert client.get("/api/v1/tenants/county-x/keys", headers=platform).json()[0]["revoked_at"] is not None
    assert admin["id"] == disabled.json()["id"]


def test_another_provinces_county_and_its_people_are_not_found(client: TestClient) -> None:
    platform = client_headers(client, "province", "platform")
    _county(client, platform)
    county_b_admin = client_headers(client, "county-b", "admin")  # county-b is not below the province
    b_key = client.post("/api/v1/keys", json={"role": "admin"}, headers=county_b_admin).json()
    for method, path in (
        ("GET", "/api/v1/tenants/county-b/users"),
        ("GET", "/api/v1/tenants/county-b/keys"),
        ("DELETE", f"/api/v1/tenants/county-b/keys/{b_key['id']}"),
        ("GET", "/api/v1/tenants/province/users"),  # its own tenant is not one of its counties
        ("GET", "/api/v1/tenants/nowhere/keys"),
    ):
        answer = client.request(method, path, headers=platform)
        assert answer.status_code == 404, (method, path, answer.text)
    assert client.get("/api/v1/assets", headers=_bearer(b_key["key"])).status_code == 200
    # a county's own administrator has no tenant:manage
    x_admin = client_headers(client, "county-x", "admin")
    assert client.get("/api/v1/tenants/county-x/users", headers=x_admin).status_code == 403


def test_what_the_platform_does_in_a_county_is_in_the_countys_trail_and_its_own(client: TestClient) -> None:
    platform = client_headers(client, "province", "platform")
    admin, key = _county(client, platform)
    client.post("/api/v1/tenants/county-x/users/x.admin/disable", headers=platform)
    client.delete(f"/api/v1/tenants/county-x/keys/{key['id']}", headers=platform)

    expected = {
        ("tenant.create", "county-x"),
        ("user.create", admin["id"]),
        ("key.create", key["id"]),
        ("user.disable", admin["id"]),
        ("key.revoke", key["id"]),
    }
    reader = client_headers(client, "county-x", "admin")
    in_county = [e for e in _audit(client, reader) if e["actor_kind"] == "key" and e["tenant_id"] == "county-x"]
    assert {(e["action"], e["target"]) for e in in_county} == expected
    assert len({e["actor_id"] for e in in_county}) == 1  # the platform's key, named as it is in the province
    in_province = [e for e in _audit(client, platform) if e["actor_kind"] == "key"]
    assert {(e["action"], e["target"]) for e in in_province} >= expected
    assert {e["tenant_id"] for e in in_province} == {"province"}
    assert {e["actor_id"] for e in in_county} == {e["actor_id"] for e in in_province}
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    with services.session() as session:
        assert verify(session).ok
