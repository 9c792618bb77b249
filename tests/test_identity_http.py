"""Authentication through the HTTP API: API keys, the session cookie and its CSRF token, 401 with
WWW-Authenticate, sign-in limits, and secrets that never reach a log or an answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import auth_headers, client_headers, make_settings
from fastapi.testclient import TestClient
from live_server import live_server

from api.app import create_app
from mam.identity import create_key, create_user, disable_user, revoke_key
from mam.services import Services

PASSWORD = "湘江两岸 spring rains"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "home", MAM_SIGNIN_MAX_FAILURES="3")
    with TestClient(create_app(settings, run_workers=False)) as c:
        services: Services = c.app.state.services  # type: ignore[attr-defined]
        with services.session() as session:
            create_user(session, services.roles, "editor1", "default", "editor", PASSWORD)
        yield c


def _services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def _sign_in(client: TestClient, name: str = "editor1", password: str = PASSWORD) -> str:
    answer = client.post("/api/v1/session", json={"name": name, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["csrf_token"]
    return token


def test_no_credential_is_a_401_problem_with_www_authenticate(client: TestClient) -> None:
    for answer in (client.get("/api/v1/assets"), client.get("/api/v1/search", params={"q": "x"})):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "urn:mam:problem:unauthenticated"
    assert client.get("/healthz").status_code == 200


def test_a_key_acts_as_its_tenant_and_the_x_tenant_header_is_no_identity(client: TestClient) -> None:
    county = client_headers(client, "county-a", "viewer")
    answer = client.get("/api/v1/session", headers={**county, "X-Tenant": "default"})
    assert answer.status_code == 200
    assert (answer.json()["tenant_id"], answer.json()["role"], answer.json()["user"]) == ("county-a", "viewer", None)


def test_a_revoked_or_malformed_key_is_401_at_once(client: TestClient) -> None:
    services = _services(client)
    with services.session() as session:
        made = create_key(session, services.roles, "default", "editor")
    key = {"Authorization": f"Bearer {made.key}"}
    assert client.get("/api/v1/assets", headers=key).status_code == 200
    with services.session() as session:
        revoke_key(session, made.row.id)
    refused = client.get("/api/v1/assets", headers=key)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert client.get("/api/v1/assets", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}).status_code == 401
    assert client.get("/api/v1/assets", headers={"Authorization": "Bearer"}).status_code == 401


def test_a_key_in_the_url_is_refused_even_beside_a_good_header(client: TestClient) -> None:
    headers = client_headers(client)
    key = headers["Authorization"].removeprefix("Bearer ")
    for params in ({"api_key": key}, {"access_token": key}, {"q": key}):
        refused = client.get("/api/v1/search", params=params, headers=headers)
        assert refused.status_code == 401, params
        assert "never accepted" in refused.json()["detail"] and key not in refused.text
    assert client.get("/api/v1/assets", params={"api_key": key}).status_code == 401


def test_a_json_web_token_is_refused_while_single_sign_on_is_not_configured(client: TestClient) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    refused = client.get("/api/v1/assets", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and token not in refused.text


def test_sign_in_sets_an_httponly_samesite_cookie_and_answers_the_csrf_token(client: TestClient) -> None:
    answer = client.post("/api/v1/session", json={"name": "editor1", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["user"]["name"] == "editor1" and body["role"] == "editor" and body["csrf_token"]
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("mam_session=") and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie and "path=/" in cookie  # plain http: a Secure cookie would never come back
    who = client.get("/api/v1/session").json()
    assert who["principal"] == "user:editor1" and who["csrf_token"] == body["csrf_token"]


def test_the_cookie_is_secure_when_the_request_is_https(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "home"), run_workers=False), base_url="https://mam") as c:
        services = _services(c)
        with services.session() as session:
            create_user(session, services.roles, "li", "default", "viewer", PASSWORD)
        answer = c.post("/api/v1/session", json={"name": "li", "password": PASSWORD})
    assert answer.status_code == 200 and "secure" in answer.headers["set-cookie"].lower()


def test_a_cookie_write_needs_the_sessions_csrf_token(client: TestClient) -> None:
    csrf = _sign_in(client)
    change = {"title": "防汛快讯"}
    missing = client.patch("/api/v1/assets/no-such-asset", json=change)
    assert missing.status_code == 403 and missing.json()["type"] == "urn:mam:problem:csrf-refused"
    wrong = client.patch("/api/v1/assets/no-such-asset", json=change, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403 and wrong.json()["type"] == "urn:mam:problem:csrf-refused"
    passed = client.patch("/api/v1/assets/no-such-asset", json=change, headers={"X-CSRF-Token": csrf})
    assert passed.status_code == 404  # authenticated, and then there is no such asset
    assert client.get("/api/v1/assets").status_code == 200  # reads need no token


def test_sign_out_ends_the_session_and_clears_the_cookie(client: TestClient) -> None:
    csrf = _sign_in(client)
    cookie = client.cookies.get("mam_session")
    assert cookie
    assert client.delete("/api/v1/session").status_code == 403  # a write: the token is needed
    out = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204 and "mam_session=" in out.headers["set-cookie"]
    client.cookies.set("mam_session", cookie)  # the old cookie, kept by someone
    assert client.get("/api/v1/session").status_code == 401


def test_disabling_a_user_refuses_its_cookie_at_the_next_request(client: TestClient) -> None:
    _sign_in(client)
    assert client.get("/api/v1/assets").status_code == 200
    services = _services(client)
    with services.session() as session:
        disable_user(session, "editor1")
    assert client.get("/api/v1/assets").status_code == 401
    refused = client.post("/api/v1/session", json={"name": "editor1", "password": PASSWORD})
    assert refused.status_code == 401


def test_failed_sign_ins_are_limited_per_account_and_per_address_with_retry_after(client: TestClient) -> None:
    for _ in range(3):
        assert client.post("/api/v1/session", json={"name": "editor1", "password": "guess"}).status_code == 401
    limited = client.post("/api/v1/session", json={"name": "editor1", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json()["type"] == "urn:mam:problem:rate-limited"
    for n in range(9):  # the address: 4 x 3 failures in all, whatever the account
        client.post("/api/v1/session", json={"name": f"nobody{n}", "password": "guess"})
    from_here = client.post("/api/v1/session", json={"name": "someone", "password": "guess"})
    assert from_here.status_code == 429 and "address" in from_here.json()["detail"]


def test_secrets_never_reach_the_log_or_an_answer(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    headers = client_headers(client)
    key = headers["Authorization"].removeprefix("Bearer ")
    answers = [
        client.post("/api/v1/session", json={"name": "editor1", "password": "my-wrong-secret-7"}),
        client.post("/api/v1/session", json={"name": "editor1", "password": PASSWORD}),
        client.get("/api/v1/assets", headers={"Authorization": f"Bearer {key[:-3]}zzz"}),
        client.get("/api/v1/assets", params={"api_key": key}),
        client.patch("/api/v1/assets/x", json={"title": 1}, headers=headers),
    ]
    cookie = client.cookies.get("mam_session")
    assert cookie
    secrets = ["my-wrong-secret-7", PASSWORD, key, key[13:], cookie]
    for answer in answers:
        body = answer.text
        assert not [s for s in secrets if s in body], answer.request.url
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # not the client's
    assert "401" in caplog.text and not [s for s in secrets if s in server_log]


def test_the_openapi_document_declares_the_bearer_key_and_the_session_cookie(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer" and schemes["APIKeyCookie"]["name"] == "mam_session"
    listing = document["paths"]["/api/v1/assets"]["get"]
    assert {"HTTPBearer": []} in listing["security"] and "401" in listing["responses"]
    assert "security" not in document["paths"]["/api/v1/session"]["post"]


def test_a_key_in_the_url_never_reaches_a_real_servers_access_log(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "home"), run_workers=False)
    with live_server(app) as base:
        access = logging.getLogger("uvicorn.access")
        level = access.level
        access.setLevel(logging.INFO)
        lines: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
        access.addHandler(handler)
        try:
            key = auth_headers(app.state.services)["Authorization"].removeprefix("Bearer ")
            with httpx.Client(base_url=base) as http:
                answers = [
                    http.get("/api/v1/assets", params={"api_key": key}),
                    http.get("/api/v1/search", params={"q": key}, headers={"Authorization": f"Bearer {key}"}),
                    http.get("/api/v1/assets", params={"limit": 5}, headers={"Authorization": f"Bearer {key}"}),
                ]
        finally:
            access.removeHandler(handler)
            access.setLevel(level)
    assert [a.status_code for a in answers] == [401, 401, 200]
    assert answers[0].headers["www-authenticate"].startswith("Bearer") and key not in answers[0].text
    assert len(lines) == 3 and "limit=5" in lines[2]  # the access log runs, with ordinary queries
    assert not [line for line in lines if key in line or key[13:] in line]
