"""Hardening of the HTTP side: CORS from MAM_CORS_ORIGINS (API, renditions, HLS, tus), signed links that
play a rendition or an HLS folder without headers, security headers (CSP without inline script, /docs
included), request rates with 429 and Retry-After, and no secret in a log or an answer."""

from __future__ import annotations

import logging
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from authz_catalog import PASSWORD, SeededCatalog, seed
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import TokenBuckets
from mam.errors import ConfigError, LinkError
from mam.links import SECRET_FILE, LinkSigner, link_scope, url_secret
from mam.services import open_services
from mam.settings import Settings

OWN, OTHER, THIRD = "county-a", "county-b", "county-c"
CMS = "https://cms.example.cn"
STRANGER = "https://evil.example.com"
SECRET = "s3cret-for-signed-links-" + "x" * 24


@dataclass
class World:
    client: TestClient
    catalog: SeededCatalog
    asset: str
    settings: Settings

    def key(self, role: str = "admin") -> dict[str, str]:
        return self.catalog.keys[role]

    def link(self, profile: str, asset: str | None = None, role: str = "admin") -> str:
        minted = self.client.post(f"/api/v1/assets/{asset or self.asset}/links/{profile}", headers=self.key(role))
        assert minted.status_code == 200, minted.text
        url: str = minted.json()["url"]
        return url


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("hardening")
    settings = make_settings(root / "home", MAM_CORS_ORIGINS=f"{CMS}, http://127.0.0.1:8080/", MAM_URL_SECRET=SECRET)
    services = open_services(settings)
    try:
        catalog = seed(services, root / "seed", OWN, OTHER, THIRD)
        asset = catalog.asset(OWN, "防汛调度会 hardening")
        catalog.renditions(OWN, asset)
        with TestClient(create_app(services=services, run_workers=False)) as client:
            yield World(client, catalog, asset, settings)
    finally:
        services.close()


@pytest.fixture
def bare(world: World) -> Iterator[TestClient]:
    """A client of the same app that sends no credential at all (a player, a CMS page's video tag)."""
    with TestClient(world.client.app) as client:
        yield client


# --- CORS -------------------------------------------------------------------------------------------


def _origin(world: World, url: str, origin: str, **headers: str) -> dict[str, str]:
    answer = world.client.get(url, headers={"Origin": origin, **world.key(), **headers}, follow_redirects=False)
    assert answer.status_code in (200, 206, 307), answer.text
    return dict(answer.headers)


def test_a_listed_origin_reads_the_api_with_credentials_and_an_unlisted_one_gets_no_cors_headers(world: World) -> None:
    listed = _origin(world, "/api/v1/assets", CMS)
    assert listed["access-control-allow-origin"] == CMS and listed["access-control-allow-credentials"] == "true"
    assert "Origin" in listed["vary"]
    assert "access-control-allow-origin" not in _origin(world, "/api/v1/assets", STRANGER)
    assert _origin(world, "/api/v1/assets", "http://127.0.0.1:8080")["access-control-allow-origin"] == (
        "http://127.0.0.1:8080"
    )


def test_renditions_and_hls_playlists_and_segments_carry_cors_headers_for_a_listed_origin_only(world: World) -> None:
    base = f"/api/v1/assets/{world.asset}/renditions"
    for url in (f"{base}/proxy", f"{base}/hls/master.m3u8", f"{base}/hls/v0/index.m3u8", f"{base}/hls/v0/seg_1.m4s"):
        listed = _origin(world, url, CMS, Range="bytes=0-")
        assert listed["access-control-allow-origin"] == CMS, url
        assert "Content-Range" in listed["access-control-expose-headers"]
        assert "access-control-allow-origin" not in _origin(world, url, STRANGER), url


def test_a_preflight_from_a_listed_origin_is_allowed_and_from_another_refused(world: World) -> None:
    ask = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "Authorization, Content-Type"}
    allowed = world.client.options(f"/api/v1/assets/{world.asset}", headers={"Origin": CMS, **ask})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == CMS
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    refused = world.client.options(f"/api/v1/assets/{world.asset}", headers={"Origin": STRANGER, **ask})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


def test_a_tus_preflight_and_upload_answer_a_listed_origin_and_expose_the_tus_headers(world: World) -> None:
    tus_headers = (
        "Tus-Resumable, Upload-Length, Upload-Metadata, Upload-Offset, Upload-Checksum, Content-Type, Authorization"
    )
    ask = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": tus_headers}
    allowed = world.client.options("/api/v1/uploads", headers={"Origin": CMS, **ask})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == CMS
    assert {h.strip().lower() for h in tus_headers.split(",")} <= {
        h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")
    }
    refused = world.client.options("/api/v1/uploads", headers={"Origin": STRANGER, **ask})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    made = world.client.post(
        "/api/v1/uploads",
        headers={"Origin": CMS, "Tus-Resumable": "1.0.0", "Upload-Length": "100", **world.key()},
    )
    assert made.status_code == 201 and made.headers["access-control-allow-origin"] == CMS
    exposed = {h.strip() for h in made.headers["access-control-expose-headers"].split(",")}
    assert {"Location", "Upload-Offset", "Upload-Expires", "Tus-Resumable", "Mam-Asset-Id"} <= exposed
    stranger = world.client.post(
        "/api/v1/uploads",
        headers={"Origin": STRANGER, "Tus-Resumable": "1.0.0", "Upload-Length": "100", **world.key()},
    )
    assert stranger.status_code == 201 and "access-control-allow-origin" not in stranger.headers  # was echoed


def test_without_an_allow_list_no_origin_gets_cross_origin_access(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "home"), run_workers=False)) as client:
        answer = client.get("/api/v1/profiles", headers={"Origin": CMS})
        assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
        ask = {"Origin": CMS, "Access-Control-Request-Method": "POST"}
        assert "access-control-allow-origin" not in client.options("/api/v1/uploads", headers=ask).headers


def test_the_origin_list_is_exact_origins_and_a_wildcard_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, MAM_CORS_ORIGINS="https://CMS.example.cn/, http://a.example:8080,,")
    assert settings.cors_origins == ("https://cms.example.cn", "http://a.example:8080")
    for bad in ("*", "cms.example.cn", "https://cms.example.cn/page", "https://*.example.cn"):
        with pytest.raises(ConfigError, match="MAM_CORS_ORIGINS"):
            make_settings(tmp_path, MAM_CORS_ORIGINS=bad)


# --- signed links -----------------------------------------------------------------------------------


def test_a_signed_link_plays_a_rendition_without_any_header_with_ranges(world: World, bare: TestClient) -> None:
    minted = world.client.post(f"/api/v1/assets/{world.asset}/links/proxy", headers=world.key("newsroom"))
    assert minted.status_code == 200
    expires = minted.json()["expires_at"]
    assert 3500 < time.mktime(time.strptime(expires[:19], "%Y-%m-%dT%H:%M:%S")) - time.mktime(time.gmtime()) <= 3600
    url = minted.json()["url"]
    assert url.startswith("http://testserver/api/v1/play/") and "mam_" not in url
    played = bare.get(url)
    assert played.status_code == 200 and played.content == world.catalog.clip.read_bytes()
    ranged = bare.get(url, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100


def test_an_hls_link_plays_the_master_playlist_its_variant_and_segments_with_the_link_alone(
    world: World, bare: TestClient
) -> None:
    url = world.link("hls")
    master = bare.get(url)
    assert master.status_code == 200 and master.text.startswith("#EXTM3U")
    variant_uri = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    variant_url = urljoin(url, variant_uri)
    variant = bare.get(variant_url)
    assert variant.status_code == 200 and "seg_1.m4s" in variant.text
    init = re.search(r'URI="([^"]+)"', variant.text)
    assert init is not None
    for uri in (init.group(1), "seg_1.m4s"):
        part = bare.get(urljoin(variant_url, uri))
        assert part.status_code == 200 and len(part.content) > 0, uri
    from_cms = bare.get(urljoin(variant_url, "seg_1.m4s"), headers={"Origin": CMS})
    assert from_cms.status_code == 200 and from_cms.headers["access-control-allow-origin"] == CMS
    folder = bare.get(url.rsplit("/", 1)[0], follow_redirects=False)  # the rendition itself: to its master
    assert folder.status_code == 307 and folder.headers["location"] == urlsplit(url).path


def test_an_altered_expired_or_other_path_link_is_refused(world: World, bare: TestClient) -> None:
    url = world.link("hls")
    path = urlsplit(url).path
    token = path.split("/")[4]
    signature = token.rsplit(".", 1)[1]
    altered = token[: -len(signature)] + ("A" if signature[0] != "A" else "B") + signature[1:]
    other_asset = world.catalog.asset(OWN, "another asset")
    world.catalog.renditions(OWN, other_asset)
    later_expiry = token.split(".")
    later_expiry[2] = str(int(later_expiry[2]) + 86400)
    refused = {
        "altered signature": path.replace(token, altered),
        "later expiry": path.replace(token, ".".join(later_expiry)),
        "another profile": path.replace("/renditions/hls/master.m3u8", "/renditions/proxy"),
        "another asset": path.replace(world.asset, other_asset),
        "garbage": path.replace(token, "nonsense"),
    }
    for why, wrong in refused.items():
        answer = bare.get(wrong)
        assert answer.status_code == 403, why
        assert answer.json()["type"] == "urn:mam:problem:link-refused" and signature not in answer.text, why
    past = LinkSigner(SECRET.encode(), clock=lambda: time.time() - 7200)
    expired, _ = past.sign(OWN, link_scope(world.asset, "proxy"), 60)
    answer = bare.get(f"/api/v1/play/{expired}/assets/{world.asset}/renditions/proxy")
    assert answer.status_code == 403 and "expired" in answer.json()["detail"]
    escape = bare.get(path.replace("master.m3u8", "..%2F..%2Fproxy%2Fseeded.mp4"))
    assert escape.status_code in (400, 404)


def test_a_link_is_minted_only_for_who_may_read_the_rendition(world: World) -> None:
    base = f"/api/v1/assets/{world.asset}/links"
    assert world.client.post(f"{base}/proxy").status_code == 401
    assert world.client.post(f"{base}/proxy", headers=world.key("playout")).status_code == 403
    assert world.client.post(f"{base}/broadcast_hd", headers=world.key("playout")).status_code == 200
    assert world.client.post(f"{base}/proxy", headers=world.key("other_tenant")).status_code == 404
    assert world.client.post(f"{base}/web_720p", headers=world.key()).status_code == 404  # none made


def test_a_link_reads_as_its_tenant_so_a_revoked_share_stops_it_at_once(world: World, bare: TestClient) -> None:
    world.catalog.share(world.asset, OTHER)
    url = world.link("proxy", role="other_tenant")
    assert bare.get(url, headers={"Range": "bytes=0-9"}).status_code == 206
    unshared = world.client.delete(f"/api/v1/assets/{world.asset}/shares/{OTHER}", headers=world.key())
    assert unshared.status_code == 204
    assert bare.get(url).status_code == 404


def test_a_key_in_a_url_is_never_an_identity_not_even_on_a_play_route(world: World, bare: TestClient) -> None:
    key = world.key()["Authorization"].removeprefix("Bearer ")
    assert bare.get("/api/v1/assets", params={"api_key": key}).status_code == 401
    in_path = bare.get(f"/api/v1/play/{key}/assets/{world.asset}/renditions/proxy")
    assert in_path.status_code == 403 and key not in in_path.text
    url = world.link("proxy")
    in_query = bare.get(url, params={"access_token": key})
    assert in_query.status_code == 401 and key not in in_query.text  # even beside a valid link
    assert in_query.headers["x-frame-options"] == "DENY"  # refused inside the security headers


def test_the_generated_secret_is_kept_in_mam_home_and_shared_by_every_process(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    first = url_secret(settings)
    kept = tmp_path / "home" / SECRET_FILE
    assert kept.exists() and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert url_secret(make_settings(tmp_path / "home")) == first and len(first) >= 32
    token, _ = LinkSigner(first).sign(OWN, "assets/a/renditions/proxy", 60)
    assert LinkSigner.of(settings).verify(token, "assets/a/renditions/proxy").tenant_id == OWN
    given = make_settings(tmp_path / "other", MAM_URL_SECRET=SECRET)
    assert url_secret(given) == SECRET.encode() and not (tmp_path / "other" / SECRET_FILE).exists()
    with pytest.raises(ConfigError):
        make_settings(tmp_path, MAM_URL_SECRET="short")
    assert SECRET not in repr(given) and "url_secret" not in repr(given)


def test_presigned_urls_and_links_live_at_most_as_long_as_their_caps(tmp_path: Path) -> None:
    assert make_settings(tmp_path, MAM_PRESIGN_SECONDS="86400").presign_seconds == 3600
    assert make_settings(tmp_path, MAM_PRESIGN_SECONDS="600").presign_seconds == 600
    assert make_settings(tmp_path, MAM_LINK_SECONDS="999999").link_seconds == 86400
    assert make_settings(tmp_path, MAM_LINK_SECONDS="900").link_seconds == 900


# --- security headers -------------------------------------------------------------------------------


def _csp(headers: dict[str, str]) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split(";") if d.strip()}


def test_the_page_and_the_api_answer_with_security_headers_and_a_csp_without_inline_script(world: World) -> None:
    for url in ("/", "/api/v1/profiles", "/api/v1/nothing-here"):
        headers = dict(world.client.get(url, headers=world.key()).headers)
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", url
        assert headers["referrer-policy"] == "no-referrer", url
        assert _csp(headers)["frame-ancestors"] == ["'none'"], url
    page = _csp(dict(world.client.get("/").headers))
    assert page["script-src"] == ["'self'"] and page["style-src"] == ["'self'"] and page["object-src"] == ["'none'"]
    assert _csp(dict(world.client.get("/api/v1/profiles").headers))["default-src"] == ["'none'"]


def test_the_docs_page_runs_under_its_policy_its_inline_script_allowed_by_hash_and_its_files_local(
    world: World,
) -> None:
    import base64
    import hashlib

    answer = world.client.get("/docs")
    assert answer.status_code == 200
    policy = _csp(dict(answer.headers))
    inline = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    assert inline, "Swagger UI starts from an inline script"
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"] and policy["frame-ancestors"] == ["'none'"]
    files = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert files and all(f.startswith("/docs/assets/") for f in files), files
    for url in files:
        assert world.client.get(url).status_code == 200, url
    assert not re.search(r"https?://", answer.text)  # no CDN
    assert world.client.get("/openapi.json").status_code == 200  # what the page fetches (connect-src 'self')


# --- rates ------------------------------------------------------------------------------------------


def test_token_buckets_refuse_past_the_rate_and_refill_with_time() -> None:
    now = [1000.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])
    for _ in range(60):
        assert buckets.wait("k") == 0
        buckets.take("k")
    assert buckets.wait("k") == pytest.approx(1.0)
    now[0] += 1.0
    assert buckets.wait("k") == 0


def test_the_buckets_kept_are_bounded_under_a_spray_of_names() -> None:
    now = [0.0]
    buckets = TokenBuckets(5, clock=lambda: now[0], max_tracked=100)
    for n in range(1000):
        assert buckets.wait(f"made-up-{n}") == 0
        buckets.take(f"made-up-{n}")
        now[0] += 0.001
    assert len(buckets._buckets) <= 100
    for _ in range(5):
        buckets.take("made-up-999")
    assert buckets.wait("made-up-999") > 0  # the newest are kept


def test_past_the_rate_of_a_key_the_answer_is_429_with_retry_after_and_other_keys_go_on(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", MAM_RATE_PER_KEY="3", MAM_RATE_PER_ADDRESS="1000")
    services = open_services(settings)
    try:
        catalog = seed(services, tmp_path / "seed", OWN, OTHER, THIRD)
        with TestClient(create_app(services=services, run_workers=False)) as client:
            statuses = [client.get("/api/v1/assets", headers=catalog.keys["viewer"]).status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            refused = client.get("/api/v1/assets", headers=catalog.keys["viewer"])
            assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 20
            assert refused.headers["content-type"] == "application/problem+json"
            assert "credential" in refused.json()["detail"] and "mam_" not in refused.text
            assert client.get("/api/v1/assets", headers=catalog.keys["editor"]).status_code == 200
            assert all(client.get("/healthz").status_code == 200 for _ in range(5))
    finally:
        services.close()


def test_past_the_rate_of_an_address_the_answer_is_429_whatever_the_credential(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", MAM_RATE_PER_ADDRESS="4", MAM_CORS_ORIGINS=CMS)
    with TestClient(create_app(settings, run_workers=False)) as client:
        statuses = [
            client.get("/api/v1/assets", headers={"Authorization": f"Bearer made-up-{n}"}).status_code for n in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 429]
        refused = client.get("/api/v1/profiles", headers={"Origin": CMS})
        assert refused.status_code == 429 and "address" in refused.json()["detail"]
        assert refused.headers["access-control-allow-origin"] == CMS  # a browser page can read why
        assert "Retry-After" in refused.headers["access-control-expose-headers"]


def test_the_sign_in_limiter_keeps_its_own_rules_under_generous_request_rates(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", MAM_RATE_PER_ADDRESS="1000", MAM_SIGNIN_MAX_FAILURES="2")
    services = open_services(settings)
    try:
        seed(services, tmp_path / "seed", OWN, OTHER, THIRD)
        with TestClient(create_app(services=services, run_workers=False)) as client:
            wrong = {"name": f"{OWN}-editor", "password": "not the password"}
            assert [client.post("/api/v1/session", json=wrong).status_code for _ in range(2)] == [401, 401]
            limited = client.post("/api/v1/session", json={"name": f"{OWN}-editor", "password": PASSWORD})
            assert limited.status_code == 429 and "sign-in" in limited.json()["detail"]
            assert limited.headers["retry-after"]
    finally:
        services.close()


# --- secrets ----------------------------------------------------------------------------------------


def test_no_key_password_session_cookie_or_link_secret_reaches_a_log_or_an_answer(
    world: World, bare: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = world.key()["Authorization"].removeprefix("Bearer ")
    long_password = "p4ss-" + "w" * 1100
    answers = [
        bare.post("/api/v1/session", json={"name": f"{OWN}-editor", "password": "my-wrong-secret-7"}),
        bare.post("/api/v1/session", json={"name": f"{OWN}-editor", "password": long_password}),
        bare.get("/api/v1/assets", headers={"Authorization": f"Bearer {key[:-3]}zzz"}),
        bare.get("/api/v1/assets", params={"api_key": key}),
        bare.get(f"/api/v1/search?q={key}", headers={"Authorization": f"Bearer {key}"}),
        bare.get("/api/v1/search", params={"limit": key}, headers={"Authorization": f"Bearer {key}"}),
    ]
    signed = bare.post("/api/v1/session", json={"name": f"{OWN}-editor", "password": PASSWORD})
    cookie = bare.cookies.get("mam_session")
    assert signed.status_code == 200 and cookie
    answers += [
        bare.get("/api/v1/session"),
        bare.patch(f"/api/v1/assets/{world.asset}", json={"title": "x"}),  # no CSRF token: 403
        bare.get(f"/api/v1/play/l1.{cookie}.1.x/assets/{world.asset}/renditions/proxy"),
    ]
    bare.cookies.clear()
    url = world.link("proxy")
    answers += [bare.get(url.replace("/proxy", "/broadcast_hd")), bare.get(url, headers={"Range": "bytes=0-0"})]
    secrets = {"wrong password": "my-wrong-secret-7", "password": PASSWORD, "long password": long_password[:40]}
    secrets |= {"key": key, "key secret": key[13:], "cookie": cookie, "url secret": SECRET}
    for answer in answers:
        shown = answer.text + str({k: v for k, v in answer.headers.items() if k != "set-cookie"})
        assert [name for name, s in secrets.items() if s in shown] == [], answer.request.url
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert [name for name, s in secrets.items() if s in server_log] == []


def test_on_s3_a_link_serves_hls_playlists_itself_and_presigns_files_for_no_longer_than_the_link(
    s3_endpoint: str, tmp_path: Path
) -> None:
    import uuid
    from urllib.parse import parse_qs

    import httpx

    settings = make_settings(
        tmp_path / "home",
        MAM_STORAGE_URL=f"s3://links-{uuid.uuid4().hex[:12]}/p",
        MAM_S3_ENDPOINT_URL=s3_endpoint,
        MAM_S3_CREATE_BUCKET="1",
        MAM_PRESIGN_SECONDS="600",
        MAM_LINK_SECONDS="120",
    )
    services = open_services(settings)
    try:
        catalog = seed(services, tmp_path / "seed", OWN, OTHER, THIRD)
        asset = catalog.asset(OWN, "on s3")
        catalog.renditions(OWN, asset)
        with TestClient(create_app(services=services, run_workers=False)) as client:

            def link(profile: str) -> str:
                minted = client.post(f"/api/v1/assets/{asset}/links/{profile}", headers=catalog.keys["viewer"])
                assert minted.status_code == 200, minted.text
                return str(minted.json()["url"])

            client.headers.clear()
            master_url = link("hls")
            master = client.get(master_url, follow_redirects=False)
            assert master.status_code == 200 and "v0/index.m3u8" in master.text  # served here: URIs stay under it
            variant = client.get(urljoin(master_url, "v0/index.m3u8"), follow_redirects=False)
            assert variant.status_code == 200 and "seg_1.m4s" in variant.text
            for url in (urljoin(master_url, "v0/seg_1.m4s"), link("proxy")):
                moved = client.get(url, follow_redirects=False)
                assert moved.status_code == 307, moved.text
                presigned = moved.headers["location"]
                assert presigned.startswith(s3_endpoint)
                query = {k.lower(): v for k, v in parse_qs(urlsplit(presigned).query).items()}
                assert 0 < int(query["x-amz-expires"][0]) <= 120  # the link's life, not MAM_PRESIGN_SECONDS
                assert httpx.get(presigned).status_code == 200
    finally:
        services.close()


def test_a_token_has_one_spelling_so_any_changed_character_is_refused() -> None:
    signer = LinkSigner(SECRET.encode())
    scope = "assets/a/renditions/proxy"
    token, _ = signer.sign(OWN, scope, 60)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for at in (len(token) - 1, token.index(".", 3) - 1):  # the signature's and the tenant's last characters
        for other in alphabet.replace(token[at], ""):
            with pytest.raises(LinkError):
                signer.verify(token[:at] + other + token[at + 1 :], scope)
    assert signer.verify(token, scope).tenant_id == OWN
