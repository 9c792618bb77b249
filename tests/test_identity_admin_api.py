"""Keys, users and tenants managed over HTTP: a tenant's administrator manages its own keys and users,
the platform operator creates counties and their administrators, and every write is in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import client_headers, make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.identity import create_tenant
from mam.services import Services

PASSWORD = "湘江两岸 spring rains"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path / "home"), run_workers=False)) as c:
        services: Services = c.app.state.services  # type: ignore[attr-defined]
        with services.session() as session:
            for tenant in ("province", "county-a", "county-b"):
                ensure_tenant(session, tenant)
        yield c


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _audit(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/audit", params={"limit": 500}, headers=headers)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["items"]
    return entries


def test_an_admin_creates_a_key_that_works_at_once_and_is_never_listed_with_its_secret(client: TestClient) -> None:
    admin = client_headers(client, "county-a", "admin")
    made = client.post("/api/v1/keys", json={"name": "playout 2", "role": "viewer", "expires_days": 30}, headers=admin)
    assert made.status_code == 201, made.text
    created = made.json()
    key = created["key"]
    assert key.startswith(f"mam_{created['prefix']}_") and created["expires_at"] is not None
    assert (created["tenant_id"], created["role"], created["name"]) == ("county-a", "viewer", "playout 2")

    session = client.get("/api/v1/session", headers=_bearer(key))
    assert session.status_code == 200 and session.json()["role"] == "viewer"

    listed = client.get("/api/v1/keys", headers=admin)
    assert listed.status_code == 200
    assert created["id"] in [k["id"] for k in listed.json()]
    secret = key.split("_", 2)[2]
    assert secret not in listed.text and "digest" not in listed.text and "key" not in listed.json()[0]
    assert {k["tenant_id"] for k in listed.json()} == {"county-a"}


def test_a_revoked_key_is_refused_at_the_next_request(client: TestClient) -> None:
    admin = client_headers(client, "county-a", "admin")
    made = client.post("/api/v1/keys", json={"role": "editor"}, headers=admin).json()
    assert client.get("/api/v1/assets", headers=_bearer(made["key"])).status_code == 200
    assert client.delete(f"/api/v1/keys/{made['id']}", headers=admin).status_code == 204
    refused = client.get("/api/v1/assets", headers=_bearer(made["key"]))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    listed = {k["id"]: k for k in client.get("/api/v1/keys", headers=admin).json()}
    assert listed[made["id"]]["revoked_at"] is not None


def test_another_tenants_key_is_not_found_and_keeps_working(client: TestClient) -> None:
    theirs = client.post("/api/v1/keys", json={"role": "viewer"}, headers=client_headers(client, "county-b")).json()
    ours = client_headers(client, "county-a", "admin")
    for ref in (theirs["id"], theirs["prefix"]):
        answer = client.delete(f"/api/v1/keys/{ref}", headers=ours)
        assert answer.status_code == 404 and "county-b" not in answer.text
    assert theirs["id"] not in client.get("/api/v1/keys", headers=ours).text
    assert client.get("/api/v1/session", headers=_bearer(theirs["key"])).status_code == 200


def test_an_editor_manages_no_keys_users_or_tenants(client: TestClient) -> None:
    editor = client_headers(client, "county-a", "editor")
    calls = [
        ("GET", "/api/v1/keys", None, "key:manage"),
        ("POST", "/api/v1/keys", {"role": "viewer"}, "key:manage"),
        ("GET", "/api/v1/users", None, "user:manage"),
        ("POST", "/api/v1/users", {"name": "x1", "role": "viewer", "password": PASSWORD}, "user:manage"),
        ("GET", "/api/v1/tenants", None, "tenant:manage"),
        ("POST", "/api/v1/tenants", {"id": "county-z"}, "tenant:manage"),
    ]
    for method, url, body, permission in calls:
        answer = client.request(method, url, json=body, headers=editor)
        assert answer.status_code == 403, (url, answer.text)
        assert "editor" in answer.json()["detail"] and permission in answer.json()["detail"]


def test_a_tenant_admin_may_not_grant_or_withdraw_the_platform_role(client: TestClient) -> None:
    admin = client_headers(client, "province", "admin")
    key = client.post("/api/v1/keys", json={"role": "platform"}, headers=admin)
    user = client.post("/api/v1/users", json={"name": "op1", "role": "platform", "password": PASSWORD}, headers=admin)
    for answer in (key, user):
        assert answer.status_code == 403 and "platform" in answer.json()["detail"]
    assert [k["role"] for k in client.get("/api/v1/keys", headers=admin).json()] == ["admin"]
    assert client.get("/api/v1/users", headers=admin).json() == []

    platform = client_headers(client, "province", "platform")
    made = client.post("/api/v1/keys", json={"role": "platform"}, headers=platform)
    assert made.status_code == 201
    assert client.delete(f"/api/v1/keys/{made.json()['id']}", headers=admin).status_code == 403
    assert client.get("/api/v1/session", headers=_bearer(made.json()["key"])).status_code == 200


def test_an_unknown_role_or_a_short_password_is_a_422_that_never_repeats_the_password(client: TestClient) -> None:
    admin = client_headers(client, "county-a", "admin")
    unknown = client.post("/api/v1/keys", json={"role": "superuser"}, headers=admin)
    assert unknown.status_code == 422 and "superuser" in unknown.json()["detail"]
    for password in ("short-pw", 12345):
        answer = client.post(
            "/api/v1/users", json={"name": "li.wei", "role": "editor", "password": password}, headers=admin
        )
        assert answer.status_code == 422, answer.text
        assert str(password) not in answer.text
    assert client.get("/api/v1/users", headers=admin).json() == []


def test_an_admin_creates_a_user_who_signs_in_and_disabling_it_ends_its_session(client: TestClient) -> None:
    admin = client_headers(client, "county-a", "admin")
    made = client.post("/api/v1/users", json={"name": "li.wei", "role": "editor", "password": PASSWORD}, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["tenant_id"] == "county-a" and PASSWORD not in made.text
    again = client.post("/api/v1/users", json={"name": "li.wei", "role": "viewer", "password": PASSWORD}, headers=admin)
    assert again.status_code == 409

    signed = client.post("/api/v1/session", json={"name": "li.wei", "password": PASSWORD})
    assert signed.status_code == 200 and signed.json()["role"] == "editor"
    assert client.get("/api/v1/session").status_code == 200  # the cookie
    cookies = dict(client.cookies)
    client.cookies.clear()

    other = client_headers(client, "county-b", "admin")
    assert client.post("/api/v1/users/li.wei/disable", headers=other).status_code == 404
    disabled = client.post("/api/v1/users/li.wei/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    client.cookies.update(cookies)
    assert client.get("/api/v1/session").status_code == 401
    client.cookies.clear()
    assert client.post("/api/v1/session", json={"name": "li.wei", "password": PASSWORD}).status_code == 401
    assert [u["disabled"] for u in client.get("/api/v1/users", headers=admin).json()] == [True]


def test_the_platform_creates_a_county_and_its_admin_who_signs_in_but_reads_none_of_its_assets(
    client: TestClient,
) -> None:
    platform = client_headers(client, "province", "platform")
    county = client.post("/api/v1/tenants", json={"id": "county-x", "name": "X 县融媒体中心"}, headers=platform)
    assert county.status_code == 201, county.text
    assert (county.json()["id"], county.json()["parent_id"]) == ("county-x", "province")
    assert client.post("/api/v1/tenants", json={"id": "county-x"}, headers=platform).status_code == 409
    elsewhere = client.post("/api/v1/tenants", json={"id": "county-y", "parent": "county-b"}, headers=platform)
    assert elsewhere.status_code == 403

    made = client.post(
        "/api/v1/tenants/county-x/admins", json={"name": "x.admin", "password": PASSWORD}, headers=platform
    )
    assert made.status_code == 201, made.text
    assert (made.json()["tenant_id"], made.json()["role"]) == ("county-x", "admin")
    for tenant in ("county-b", "nowhere"):  # not below the province: not found
        answer = client.post(
            f"/api/v1/tenants/{tenant}/admins", json={"name": "b.admin", "password": PASSWORD}, headers=platform
        )
        assert answer.status_code == 404
    listed = [t["id"] for t in client.get("/api/v1/tenants", headers=platform).json()]
    assert listed == ["county-x", "province"]

    signed = client.post("/api/v1/session", json={"name": "x.admin", "password": PASSWORD})
    assert signed.status_code == 200 and (signed.json()["tenant_id"], signed.json()["role"]) == ("county-x", "admin")
    client.cookies.clear()

    county_admin = client_headers(client, "county-x", "admin")
    upload = client.post(
        "/api/v1/assets", files={"file": ("a.txt", b"not media")}, data={"profiles": "poster"}, headers=county_admin
    )
    assert upload.status_code in (201, 422)
    assert client.get("/api/v1/assets", headers=platform).status_code == 403
    assert client.get("/api/v1/search", params={"q": "x"}, headers=platform).status_code == 403
    assert client.get("/api/v1/assets/some-asset", headers=platform).status_code == 403


def test_every_write_is_in_the_callers_audit_trail(client: TestClient) -> None:
    admin = client_headers(client, "county-a", "admin")
    key = client.post("/api/v1/keys", json={"role": "viewer"}, headers=admin).json()
    client.delete(f"/api/v1/keys/{key['id']}", headers=admin)
    user = client.post("/api/v1/users", json={"name": "wang", "role": "viewer", "password": PASSWORD}, headers=admin)
    client.post("/api/v1/users/wang/disable", headers=admin)
    entries = _audit(client, admin)
    done = {(e["action"], e["target"]) for e in entries if e["actor_kind"] == "key"}
    assert {
        ("key.create", key["id"]),
        ("key.revoke", key["id"]),
        ("user.create", user.json()["id"]),
        ("user.disable", user.json()["id"]),
    } <= done
    assert all(e["address"] for e in entries if e["actor_kind"] == "key")

    platform = client_headers(client, "province", "platform")
    client.post("/api/v1/tenants", json={"id": "county-q"}, headers=platform)
    admin_q = client.post(
        "/api/v1/tenants/county-q/admins", json={"name": "q.admin", "password": PASSWORD}, headers=platform
    )
    entries = _audit(client, platform)
    assert {("tenant.create", "county-q"), ("user.create", admin_q.json()["id"])} <= {
        (e["action"], e["target"]) for e in entries
    }
    assert PASSWORD not in str(entries)


def test_a_county_made_at_the_cli_below_the_province_is_managed_by_the_platform(client: TestClient) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    with services.session() as session:
        create_tenant(session, "county-cli", parent="province")
    platform = client_headers(client, "province", "platform")
    made = client.post(
        "/api/v1/tenants/county-cli/admins", json={"name": "c.admin", "password": PASSWORD}, headers=platform
    )
    assert made.status_code == 201


def test_the_platform_makes_an_admin_key_of_its_county_only_and_it_acts_there(client: TestClient) -> None:
    platform = client_headers(client, "province", "platform")
    assert client.post("/api/v1/tenants", json={"id": "county-k"}, headers=platform).status_code == 201
    made = client.post("/api/v1/tenants/county-k/keys", json={"name": "county-k admin"}, headers=platform)
    assert made.status_code == 201, made.text
    assert (made.json()["tenant_id"], made.json()["role"]) == ("county-k", "admin")
    session = client.get("/api/v1/session", headers=_bearer(made.json()["key"]))
    assert (session.json()["tenant_id"], session.json()["role"]) == ("county-k", "admin")
    assert client.get("/api/v1/assets", headers=_bearer(made.json()["key"])).status_code == 200
    for tenant in ("county-b", "province"):  # not a county below the province: not found
        assert client.post(f"/api/v1/tenants/{tenant}/keys", json={}, headers=platform).status_code == 404
    created = [e for e in _audit(client, platform) if e["action"] == "key.create" and e["actor_kind"] == "key"]
    assert [e["target"] for e in created] == [made.json()["id"]]
    assert made.json()["key"] not in str(created)
