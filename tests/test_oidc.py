"""Single sign-on: bearer JWTs of an OIDC provider, verified against its published keys.

The provider is a local issuer the tests start on 127.0.0.1 (discovery document and JWKS served by a
small HTTP server in a thread) with keys generated here, RSA and EC; it counts the requests it gets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from conftest import auth_headers, catalog_asset, make_settings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.errors import AuthenticationError, BusyError, ConfigError, PermissionDeniedError
from mam.identity import load_roles
from mam.identity.oidc import (
    REFETCH_COOLDOWN_SECONDS,
    OidcConfig,
    ProviderKeys,
    map_claims,
    verify_claims,
)
from mam.services import Services
from mam.settings import Settings

AUDIENCE = "mam-county"
REALM = "/realms/province"
ROLE_MAP = {"county-editor": "editor", "county-viewer": "viewer", "county-admin": "admin"}


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.algorithms.RSAAlgorithm if self.alg.startswith("RS") else jwt.algorithms.ECAlgorithm
        public: dict[str, Any] = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


@dataclass
class LocalIssuer:
    """An OIDC provider on 127.0.0.1 (paths as Keycloak's): the discovery document and the key set."""

    keys: list[SigningKey]
    hits: Counter[str] = field(default_factory=Counter)
    url: str = ""

    def start(self) -> ThreadingHTTPServer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.hits[self.path.removeprefix(REALM)] += 1
                body: dict[str, Any]
                if self.path == REALM + "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/protocol/openid-connect/certs"}
                elif self.path == REALM + "/protocol/openid-connect/certs":
                    body = {"keys": [k.jwk() for k in issuer.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}{REALM}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "f3b1c0de-0001",
            "preferred_username": "zhang.san",
            "tenant": "county-a",
            "role": "county-editor",
            "iat": now,
            "exp": now + 300,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, key: SigningKey | None = None, **changes: Any) -> str:
        key = key or self.keys[0]
        return jwt.encode(self.claims(**changes), key.private, algorithm=key.alg, headers={"kid": key.kid})

    @property
    def jwks_hits(self) -> int:
        return self.hits["/protocol/openid-connect/certs"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A JWS made by hand (for what a library refuses to make: ``alg: none``, HS256 keyed by a public key)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{_b64(signature)}"


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    """A fresh issuer per test (its own port, so its own key cache in the app): RSA and EC keys."""
    found = LocalIssuer([SigningKey.rsa("rsa-2026-1"), SigningKey.ec("ec-2026-1")])
    server = found.start()
    yield found
    server.shutdown()
    server.server_close()


def oidc_settings(home: Path, issuer_url: str, **env: str) -> Settings:
    return make_settings(
        home,
        MAM_OIDC_ISSUER=issuer_url,
        MAM_OIDC_AUDIENCE=AUDIENCE,
        MAM_OIDC_ROLE_MAP=json.dumps(ROLE_MAP),
        **env,
    )


@pytest.fixture
def client(tmp_path: Path, issuer: LocalIssuer) -> Iterator[TestClient]:
    """The app with single sign-on from ``issuer``; tenants county-a (one asset) and county-b (one asset)."""
    with TestClient(create_app(oidc_settings(tmp_path / "home", issuer.url))) as started:
        services: Services = started.app.state.services  # type: ignore[attr-defined]
        with services.session() as session:
            for n, tenant in enumerate(("county-a", "county-b")):
                ensure_tenant(session, tenant)
                session.add(catalog_asset(tenant, n, f"{tenant} 新闻"))
            session.commit()
        yield started


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_good_rs256_token_reads_its_tenants_assets_as_the_mapped_role(
    client: TestClient, issuer: LocalIssuer
) -> None:
    headers = bearer(issuer.token())
    page = client.get("/api/v1/assets", headers=headers)
    assert page.status_code == 200, page.text
    assert [a["title"] for a in page.json()["items"]] == ["county-a 新闻"]
    who = client.get("/api/v1/session", headers=headers).json()
    assert (who["principal"], who["tenant_id"], who["role"]) == ("oidc:zhang.san", "county-a", "editor")


def test_an_es256_token_is_accepted_and_its_mapped_role_limits_it(client: TestClient, issuer: LocalIssuer) -> None:
    headers = bearer(issuer.token(issuer.keys[1], role="county-viewer"))
    page = client.get("/api/v1/assets", headers=headers)
    assert page.status_code == 200, page.text
    asset_id = page.json()["items"][0]["id"]
    assert client.get("/api/v1/session", headers=headers).json()["role"] == "viewer"
    refused = client.delete(f"/api/v1/assets/{asset_id}", headers=headers)
    assert refused.status_code == 403, refused.text


def test_an_api_key_still_works_beside_single_sign_on(client: TestClient) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    page = client.get("/api/v1/assets", headers=auth_headers(services, "county-b", "viewer"))
    assert [a["title"] for a in page.json()["items"]] == ["county-b 新闻"]


def _refused_tokens(issuer: LocalIssuer) -> dict[str, tuple[str, str]]:
    """Each refused token, and the reason its refusal gives."""
    rsa_key, ec_key = issuer.keys
    now = int(time.time())
    stranger = SigningKey.rsa(rsa_key.kid)  # the published key's kid on a key the issuer never published
    pem = rsa_key.public_pem()
    forged = jwt.encode(issuer.claims(), stranger.private, algorithm="RS256", headers={"kid": rsa_key.kid})
    hs256 = compact(
        {"alg": "HS256", "kid": rsa_key.kid}, issuer.claims(), lambda data: hmac.new(pem, data, hashlib.sha256).digest()
    )
    return {
        "expired": (issuer.token(exp=now - 3600, iat=now - 7200), "expired"),
        "not yet valid": (issuer.token(nbf=now + 3600), "not valid yet"),
        "wrong audience": (issuer.token(aud="another-service"), "another audience"),
        "wrong issuer": (issuer.token(iss="http://127.0.0.1:1/realms/elsewhere"), "another issuer"),
        "no expiry": (issuer.token(exp=None), "no 'exp' claim"),
        "bad signature": (forged, "signature does not verify"),
        "alg none": (compact({"alg": "none", "kid": rsa_key.kid}, issuer.claims()), "'none' are not accepted"),
        "HS256 keyed by the public key": (hs256, "'HS256' are not accepted"),
        "ES256 under the RSA key's kid": (
            jwt.encode(issuer.claims(), ec_key.private, algorithm="ES256", headers={"kid": rsa_key.kid}),
            "does not sign with ES256",
        ),
        "unknown kid": (issuer.token(SigningKey.ec("nobody-knows")), "does not publish"),
        "not a JWT": ("abc.def.ghi", "not a well-formed JWT"),
    }


def test_refused_tokens_are_401_with_www_authenticate_saying_why_and_never_repeated(
    client: TestClient, issuer: LocalIssuer
) -> None:
    for case, (token, reason) in _refused_tokens(issuer).items():
        answer = client.get("/api/v1/assets", headers=bearer(token))
        assert answer.status_code == 401, (case, answer.text)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), case
        assert reason in answer.json()["detail"], (case, answer.json()["detail"])
        signature = token.split(".")[2]
        assert token not in answer.text and (not signature or signature not in answer.text), case


def test_a_token_just_past_its_expiry_is_within_the_leeway(client: TestClient, issuer: LocalIssuer) -> None:
    now = int(time.time())
    answer = client.get("/api/v1/assets", headers=bearer(issuer.token(exp=now - 10, iat=now - 310)))
    assert answer.status_code == 200, answer.text


def test_unknown_tenant_or_role_claims_are_refused_without_naming_what_is_known(
    client: TestClient, issuer: LocalIssuer
) -> None:
    cases = {
        "tenant not in the catalog": issuer.token(tenant="county-z"),
        "no tenant claim": issuer.token(tenant=None),
        "role not in the map": issuer.token(role="editor"),
        "no role claim": issuer.token(role=None),
        "two roles": issuer.token(role=["county-editor", "county-admin"]),
    }
    for case, token in cases.items():
        answer = client.get("/api/v1/assets", headers=bearer(token))
        assert answer.status_code == 403, (case, answer.text)
        detail = answer.json()["detail"]
        assert "county-a" not in detail and "county-editor" not in detail and "viewer" not in detail, case


def test_a_role_list_with_one_mapped_value_gives_that_role(client: TestClient, issuer: LocalIssuer) -> None:
    token = issuer.token(role=["offline_access", "county-viewer", "uma_authorization"])
    assert client.get("/api/v1/session", headers=bearer(token)).json()["role"] == "viewer"


def test_the_keys_are_fetched_once_not_per_request(client: TestClient, issuer: LocalIssuer) -> None:
    for key in issuer.keys * 3:
        assert client.get("/api/v1/assets", headers=bearer(issuer.token(key))).status_code == 200
    assert issuer.hits["/.well-known/openid-configuration"] == 1
    assert issuer.jwks_hits == 1


def test_a_rotated_key_is_accepted_after_one_fetch_of_the_keys(client: TestClient, issuer: LocalIssuer) -> None:
    old = issuer.keys[0]
    assert client.get("/api/v1/assets", headers=bearer(issuer.token(old))).status_code == 200
    assert issuer.jwks_hits == 1
    new = SigningKey.rsa("rsa-2026-2")
    issuer.keys = [new, issuer.keys[1]]  # the provider rotates: publishes the new key, retires the old
    for _ in range(3):
        answer = client.get("/api/v1/assets", headers=bearer(issuer.token(new)))
        assert answer.status_code == 200, answer.text
    assert issuer.jwks_hits == 2
    assert client.get("/api/v1/assets", headers=bearer(issuer.token(old))).status_code == 401
    assert issuer.jwks_hits == 2, "the retired key's token is refused without another fetch (cooldown)"


def test_a_flood_of_made_up_key_ids_fetches_the_keys_once(client: TestClient, issuer: LocalIssuer) -> None:
    assert client.get("/api/v1/assets", headers=bearer(issuer.token())).status_code == 200
    made_up = SigningKey.ec("x")
    for _ in range(20):
        made_up.kid = uuid.uuid4().hex
        assert client.get("/api/v1/assets", headers=bearer(issuer.token(made_up))).status_code == 401
    assert issuer.jwks_hits == 2


def test_an_unreachable_provider_is_503_with_retry_after(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/realms/province"
    found = LocalIssuer([SigningKey.ec("ec-1")])
    found.url = url
    with TestClient(create_app(oidc_settings(tmp_path / "home", url))) as started:
        answer = started.get("/api/v1/assets", headers=bearer(found.token()))
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"]


def test_without_single_sign_on_a_jwt_is_401(sqlite_services: Services, issuer: LocalIssuer) -> None:
    with TestClient(create_app(services=sqlite_services)) as started:
        answer = started.get("/api/v1/assets", headers=bearer(issuer.token()))
    assert answer.status_code == 401
    assert "not configured" in answer.json()["detail"]
    assert issuer.jwks_hits == 0


class ScriptedProvider:
    """A fetch function standing in for the provider, to move the clock past the cache's lifetime."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.fetched: list[str] = []
        self.down = False

    def __call__(self, url: str, timeout: float) -> dict[str, Any]:
        self.fetched.append(url)
        if self.down:
            raise BusyError("the single sign-on provider cannot be reached")
        return {"keys": [k.jwk() for k in self.keys]}


def test_the_keys_are_fetched_again_after_their_lifetime_and_kept_when_the_provider_is_down() -> None:
    key = SigningKey.ec("ec-1")
    config = OidcConfig(
        "https://idp.example/realms/p", AUDIENCE, jwks_url="https://idp.example/jwks", cache_seconds=600
    )
    provider, clock = ScriptedProvider([key]), [1000.0]
    keys = ProviderKeys(config, provider, lambda: clock[0])
    assert keys.signing_key("ec-1", "ES256") is keys.signing_key("ec-1", "ES256")
    clock[0] += 599
    keys.signing_key("ec-1", "ES256")
    assert len(provider.fetched) == 1
    clock[0] += 2
    provider.down = True
    keys.signing_key("ec-1", "ES256")  # expired and the provider is down: the keys held still verify
    assert len(provider.fetched) == 2
    clock[0] += REFETCH_COOLDOWN_SECONDS + 1
    provider.down = False
    keys.signing_key("ec-1", "ES256")
    assert len(provider.fetched) == 3


def test_a_token_without_kid_is_accepted_only_while_a_single_key_is_published() -> None:
    key, other = SigningKey.ec("ec-1"), SigningKey.ec("ec-2")
    config = OidcConfig("https://idp.example/realms/p", AUDIENCE, jwks_url="https://idp.example/certs")
    claims = {"iss": config.issuer, "aud": AUDIENCE, "sub": "u1", "exp": int(time.time()) + 60}
    token = jwt.encode(claims, key.private, algorithm="ES256")
    assert verify_claims(config, token, ProviderKeys(config, ScriptedProvider([key])))["sub"] == "u1"
    with pytest.raises(AuthenticationError, match="does not publish"):
        verify_claims(config, token, ProviderKeys(config, ScriptedProvider([key, other])))


def test_claims_are_read_from_nested_paths_and_mapped_to_tenant_and_role() -> None:
    key = SigningKey.ec("ec-1")
    config = OidcConfig(
        "https://idp.example/realms/p",
        AUDIENCE,
        jwks_url="https://idp.example/jwks",
        tenant_claim="org.code",
        role_claim="realm_access.roles",
        tenant_map=(("420100", "county-a"),),
        role_map=(("county-editor", "editor"),),
    )
    now = int(time.time())
    claims = {
        "iss": config.issuer,
        "aud": [AUDIENCE, "account"],
        "sub": "u1",
        "exp": now + 60,
        "org": {"code": "420100"},
        "realm_access": {"roles": ["offline_access", "county-editor"]},
    }
    token = jwt.encode(claims, key.private, algorithm="ES256", headers={"kid": "ec-1"})
    verified = verify_claims(config, token, ProviderKeys(config, ScriptedProvider([key])))
    tenant, role = map_claims(config, verified, load_roles())
    assert (tenant, role.name) == ("county-a", "editor")
    with pytest.raises(PermissionDeniedError):
        map_claims(config, {**verified, "org": {"code": "420999"}}, load_roles())
    with pytest.raises(AuthenticationError):
        verify_claims(config, token, ProviderKeys(config, ScriptedProvider([SigningKey.ec("ec-1")])))


def test_settings_refuse_symmetric_algorithms_and_an_issuer_without_audience(tmp_path: Path) -> None:
    issuer = {"MAM_OIDC_ISSUER": "https://idp.example/realms/p"}
    with pytest.raises(ConfigError, match="MAM_OIDC_AUDIENCE"):
        make_settings(tmp_path, **issuer)
    for algorithms in ("HS256", "RS256,none", "HS512,ES256"):
        with pytest.raises(ConfigError, match="public-key"):
            make_settings(tmp_path, **issuer, MAM_OIDC_AUDIENCE="a", MAM_OIDC_ALGORITHMS=algorithms)
    with pytest.raises(ConfigError, match="https"):
        make_settings(tmp_path, MAM_OIDC_ISSUER="file:///etc", MAM_OIDC_AUDIENCE="a")
    mapping = tmp_path / "roles.json"
    mapping.write_text(json.dumps(ROLE_MAP), encoding="utf-8")
    settings = make_settings(tmp_path, **issuer, MAM_OIDC_AUDIENCE="a", MAM_OIDC_ROLE_MAP=str(mapping))
    assert dict(settings.oidc_role_map) == ROLE_MAP
    with pytest.raises(ConfigError, match="MAM_OIDC_TENANT_MAP"):
        make_settings(tmp_path, **issuer, MAM_OIDC_AUDIENCE="a", MAM_OIDC_TENANT_MAP='{"a": 1}')
