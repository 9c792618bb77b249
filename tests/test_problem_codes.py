"""Refusals carry a stable code and the params their sentence needs, so the workspace says them in its
user's language; every code is documented (mam.errors.CODES) and said in both of the web's languages;
an asset shared with a tenant names its owner by the owner's display name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Media, auth_headers
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.errors import CODES
from mam.identity.users import create_user
from mam.public.problem import Problem
from mam.services import Services

ROOT = Path(__file__).resolve().parent.parent
LOCALES = {name: ROOT / "web" / "src" / "i18n" / f"{name}.ts" for name in ("zh-CN", "en")}
PROVINCE, COUNTY = "province", "county-a"
PASSWORD = "a long enough passphrase 7"


def refused(response: Response, status: int, code: str) -> dict[str, Any]:
    """The problem details of a refusal, checked against the model, its code and that code's params."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    Problem.model_validate(body)
    assert body["code"] == code, body
    if code in CODES:
        assert set(CODES[code][1]) <= set(body["params"]), body
    return body


def _codes_said(text: str) -> dict[str, str]:
    """The messages of the ``codes`` block of a locale file, by code."""
    block = text[text.index("codes: {") : text.index("},", text.index("codes: {"))]
    return dict(re.findall(r'"?([a-z0-9-]+)"?:\s*"([^"]*)"', block))


def test_every_code_raised_is_documented_with_its_params() -> None:
    raised: set[str] = set()
    for folder in ("mam", "api"):
        for path in (ROOT / folder).rglob("*.py"):
            raised.update(re.findall(r'code="([a-z0-9-]+)"', path.read_text(encoding="utf-8")))
    assert raised, "no raise site names a code"
    assert raised <= set(CODES), raised - set(CODES)
    for code, (meaning, params) in CODES.items():
        assert meaning and all(re.fullmatch(r"[a-z_]+", p) for p in params), code


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_code_is_said_in_both_languages_with_only_its_params(locale: str) -> None:
    said = _codes_said(LOCALES[locale].read_text(encoding="utf-8"))
    assert set(CODES) <= set(said), set(CODES) - set(said)
    for code, (_, params) in CODES.items():
        used = set(re.findall(r"\{([a-z_]+)\}", said[code]))
        derived = {"range"} if "duration" in params else set()  # the web says the valid range as one phrase
        assert used <= set(params) | derived, (code, used - set(params))
    if locale == "zh-CN":
        assert all(re.search(r"[\u4e00-\u9fff]", message) for message in said.values())


@pytest.fixture
def client(sqlite_services: Services) -> Iterator[TestClient]:
    services = sqlite_services
    with services.session() as session:
        ensure_tenant(session, PROVINCE, "省级融媒体中心")
        ensure_tenant(session, COUNTY, "甲县融媒体中心")
        create_user(session, services.roles, "zhang", COUNTY, "editor", PASSWORD)
    with TestClient(create_app(services=services, run_workers=False)) as c:
        c.headers.update(auth_headers(services, PROVINCE))
        yield c


def upload(client: TestClient, path: Path, name: str, **headers: str) -> Response:
    with path.open("rb") as handle:
        answer: Response = client.post(
            "/api/v1/assets", files={"file": (name, handle)}, data={"title": name, "profiles": "proxy"}, headers=headers
        )
    return answer


def test_refusals_from_real_routes_carry_their_codes_and_params(client: TestClient, media: Media) -> None:
    text = ROOT / "README.md"
    not_media = refused(upload(client, text, "notes.mp4"), 422, "media-unreadable")
    assert not_media["params"]["filename"] == "notes.mp4" and not_media["detail"]  # the English stays for scripts

    made = upload(client, media.silent, "clip.mp4")
    assert made.status_code == 201, made.text
    asset = made.json()["id"]
    exports = f"/api/v1/assets/{asset}/exports"
    reversed_ = refused(client.post(exports, json={"profile": "proxy", "start": 1.5, "end": 0.5}), 422, "span-reversed")
    assert reversed_["params"]["duration"] == pytest.approx(2.0, abs=0.1)
    outside = refused(client.post(exports, json={"profile": "proxy", "start": 0, "end": 60}), 422, "span-outside")
    assert outside["params"]["duration"] == reversed_["params"]["duration"]
    refused(client.post(exports, json={"profile": "proxy", "start": "soon", "end": 1}), 422, "span-malformed")
    unknown = refused(client.post(exports, json={"profile": "nope", "start": 0, "end": 1}), 422, "unknown-profile")
    assert unknown["params"]["profile"] == "nope" and "proxy" in str(unknown["params"]["available"])

    too_long = refused(client.patch(f"/api/v1/assets/{asset}", json={"title": "长" * 5000}), 422, "validation-error")
    [field] = too_long["errors"]
    assert field["field"] == "title" and field["type"] == "string_too_long" and field["params"]["max_length"] > 0
    refused(client.patch(f"/api/v1/assets/{asset}", json={"custom": {"weather": "rain"}}), 422, "custom-unknown")

    refused(client.get("/api/v1/assets/nonexistent"), 404, "asset-not-found")
    refused(client.get("/api/v1/nowhere"), 404, "http-404")
    refused(client.post(f"/api/v1/assets/{asset}/shares", json={"tenants": ["atlantis"]}), 422, "share-unknown-tenant")
    refused(client.post(f"/api/v1/assets/{asset}/shares", json={"tenants": [PROVINCE]}), 422, "share-with-owner")


def test_a_wrong_password_and_too_many_of_them_are_told_apart(client: TestClient) -> None:
    anonymous = {"Authorization": ""}
    sign_in = {"name": "zhang", "password": "wrong"}
    refused(client.post("/api/v1/session", json=sign_in, headers=anonymous), 401, "sign-in-refused")
    for _ in range(10):
        answer = client.post("/api/v1/session", json=sign_in, headers=anonymous)
        if answer.status_code == 429:
            break
    body = refused(answer, 429, "sign-in-rate-limited")
    assert body["params"]["seconds"] == int(answer.headers["Retry-After"])


def test_a_shared_asset_names_its_owner_by_name_and_refuses_changes_in_its_name(
    client: TestClient, media: Media, sqlite_services: Services
) -> None:
    made = upload(client, media.silent, "省台新闻.mp4")
    assert made.status_code == 201, made.text
    asset = made.json()["id"]
    assert made.json()["owner_name"] == "省级融媒体中心"  # the owner sees its own name
    assert client.post(f"/api/v1/assets/{asset}/shares", json={"tenants": [COUNTY]}).status_code == 200
    county = auth_headers(sqlite_services, COUNTY)

    listed = {a["id"]: a for a in client.get("/api/v1/assets", headers=county).json()["items"]}
    assert listed[asset]["shared"] and listed[asset]["owner"] == PROVINCE
    assert listed[asset]["owner_name"] == "省级融媒体中心"
    page = client.get(f"/api/v1/assets/{asset}", headers=county).json()
    assert page["shared"] and page["owner_name"] == "省级融媒体中心"
    hits = client.get("/api/v1/search", params={"q": "省台新闻"}, headers=county).json()["items"]
    assert [h["asset"]["owner_name"] for h in hits if h["asset"]["id"] == asset] == ["省级融媒体中心"]

    read_only = refused(
        client.patch(f"/api/v1/assets/{asset}", json={"title": "改"}, headers=county), 403, "shared-read-only"
    )
    assert read_only["params"] == {"owner": "省级融媒体中心"}
    own = client.get("/api/v1/assets", headers=county).json()["items"]
    assert all(a["owner_name"] in ("省级融媒体中心", "甲县融媒体中心") for a in own)  # no other tenant is named
