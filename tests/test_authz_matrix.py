"""THE MATRIX TEST: every operation of /openapi.json x every kind of caller answers the status the
committed table (tests/authz_matrix.py) says, on a seeded catalog. An operation without a row fails,
so a new route cannot skip authorization unnoticed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from authz_catalog import PASSWORD, SeededCatalog, seed
from authz_matrix import CALLERS, MATRIX, operation_of
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from mam.services import open_services

OWN, OTHER, THIRD = "county-a", "county-b", "county-c"
_TUS = {"Tus-Resumable": "1.0.0"}
_SRT = b"1\n00:00:00,000 --> 00:00:00,800\n\xe9\x98\xb2\xe6\xb1\x9b\n"


@dataclass
class World:
    client: TestClient
    catalog: SeededCatalog
    asset: str
    """The own tenant's asset with renditions, analysis, jobs and exports."""
    jobs: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("authz")
    services = open_services(make_settings(root / "home"))
    try:
        catalog = seed(services, root / "seed", OWN, OTHER, THIRD)
        asset = catalog.asset(OWN, "防汛调度会 matrix")
        catalog.renditions(OWN, asset)
        catalog.analysis(OWN, asset)
        jobs = {
            "queued": catalog.job(asset),
            "proxy export": catalog.export(OWN, asset, "proxy"),
            "broadcast_hd export": catalog.export(OWN, asset, "broadcast_hd"),
        }
        with TestClient(create_app(services=services, run_workers=False)) as client:
            yield World(client, catalog, asset, jobs)
    finally:
        services.close()


@dataclass
class Call:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: Any = None
    data: Any = None
    content: bytes | None = None


def _fresh_asset(w: World) -> str:
    return w.catalog.asset(OWN, f"fresh {uuid.uuid4().hex[:6]}")


def _retryable(w: World) -> str:
    asset = _fresh_asset(w)
    w.catalog.job(asset, state="failed")
    return asset


def _unshare(w: World) -> Call:
    w.catalog.share(w.asset, THIRD)
    return Call("DELETE", f"/api/v1/assets/{w.asset}/shares/{THIRD}")


def _webhook(w: World) -> str:
    """A fresh webhook of the own tenant (to a port nothing answers on; no worker delivers here)."""
    from mam.webhooks import create_endpoint

    with w.catalog.services.session() as session:
        return create_endpoint(session, OWN, "http://127.0.0.1:9/hook", ["asset.updated"])[0].id


def _delivery(w: World) -> str:
    """``webhooks/{id}/deliveries/{delivery}``: a webhook of the own tenant with one delivery (an event)."""
    from mam.catalog import AssetChanges, update_asset
    from mam.models import WebhookDelivery

    webhook = _webhook(w)
    with w.catalog.services.session() as session:
        update_asset(session, OWN, w.asset, AssetChanges(title="事件 matrix"))
        delivery = session.query(WebhookDelivery).filter_by(endpoint_id=webhook).one()
    return f"{webhook}/deliveries/{delivery.id}"


_A = "/api/v1/assets/{asset}"
_BUILDERS: dict[str, Callable[[World], Call]] = {
    "GET /api/v1/events": lambda w: Call("GET", "/api/v1/events?after=0&timeout=0.2"),
    "GET /api/v1/webhooks": lambda w: Call("GET", "/api/v1/webhooks"),
    "POST /api/v1/webhooks": lambda w: Call("POST", "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/h"}),
    "GET /api/v1/webhooks/{webhook_id}": lambda w: Call("GET", f"/api/v1/webhooks/{_webhook(w)}"),
    "PATCH /api/v1/webhooks/{webhook_id}": lambda w: Call(
        "PATCH", f"/api/v1/webhooks/{_webhook(w)}", json={"active": False}
    ),
    "DELETE /api/v1/webhooks/{webhook_id}": lambda w: Call("DELETE", f"/api/v1/webhooks/{_webhook(w)}"),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": lambda w: Call("GET", f"/api/v1/webhooks/{_webhook(w)}/deliveries"),
    "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": lambda w: Call(
        "POST", f"/api/v1/webhooks/{_delivery(w)}/redeliver"
    ),
    "POST /api/v1/assets": lambda w: Call(
        "POST", "/api/v1/assets", files={"file": ("clip.mp4", w.catalog.clip.read_bytes())}, data={"profiles": "nope"}
    ),
    "GET /api/v1/assets": lambda w: Call("GET", "/api/v1/assets"),
    "GET /api/v1/assets/{asset_id}": lambda w: Call("GET", _A.format(asset=w.asset)),
    "PATCH /api/v1/assets/{asset_id}": lambda w: Call("PATCH", _A.format(asset=w.asset), json={"title": "改过的标题"}),
    "DELETE /api/v1/assets/{asset_id}": lambda w: Call("DELETE", _A.format(asset=_fresh_asset(w))),
    "GET /api/v1/assets/{asset_id}/renditions/{profile} [proxy]": lambda w: Call(
        "GET", f"{_A}/renditions/proxy".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/renditions/{profile} [broadcast_hd]": lambda w: Call(
        "GET", f"{_A}/renditions/broadcast_hd".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/renditions/{profile} [hls]": lambda w: Call(
        "GET", f"{_A}/renditions/hls".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/renditions/{profile}/{path} [hls playlist]": lambda w: Call(
        "GET", f"{_A}/renditions/hls/v0/index.m3u8".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/renditions/{profile}/{path} [hls segment]": lambda w: Call(
        "GET", f"{_A}/renditions/hls/v0/seg_1.m4s".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/renditions/{profile}/{path} [broadcast_hd]": lambda w: Call(
        "GET", f"{_A}/renditions/broadcast_hd/v0/seg_1.m4s".format(asset=w.asset)
    ),
    "POST /api/v1/assets/{asset_id}/exports": lambda w: Call(
        "POST", f"{_A}/exports".format(asset=w.asset), json={"profile": "proxy", "start": 0.2, "end": 0.6}
    ),
    "POST /api/v1/assets/{asset_id}/renditions": lambda w: Call(
        "POST", f"{_A}/renditions".format(asset=_fresh_asset(w)), json={"profiles": ["web_720p"]}
    ),
    "POST /api/v1/assets/{asset_id}/retry": lambda w: Call("POST", f"{_A}/retry".format(asset=_retryable(w))),
    "GET /api/v1/jobs": lambda w: Call("GET", "/api/v1/jobs"),
    "GET /api/v1/jobs/{job_id}": lambda w: Call("GET", f"/api/v1/jobs/{w.jobs['queued']}"),
    "POST /api/v1/jobs/{job_id}/cancel": lambda w: Call("POST", f"/api/v1/jobs/{w.catalog.job(w.asset)}/cancel"),
    "GET /api/v1/jobs/{job_id}/output [proxy export]": lambda w: Call(
        "GET", f"/api/v1/jobs/{w.jobs['proxy export']}/output"
    ),
    "GET /api/v1/jobs/{job_id}/output [broadcast_hd export]": lambda w: Call(
        "GET", f"/api/v1/jobs/{w.jobs['broadcast_hd export']}/output"
    ),
    "GET /api/v1/profiles": lambda w: Call("GET", "/api/v1/profiles"),
    "GET /healthz": lambda w: Call("GET", "/healthz"),
    "GET /api/v1/search": lambda w: Call("GET", "/api/v1/search?q=防汛"),
    "GET /api/v1/fields": lambda w: Call("GET", "/api/v1/fields"),
    "PUT /api/v1/fields/{name}": lambda w: Call(
        "PUT", f"/api/v1/fields/f_{uuid.uuid4().hex[:10]}", json={"kind": "text", "label": "栏目组"}
    ),
    "DELETE /api/v1/fields/{name}": lambda w: Call("DELETE", f"/api/v1/fields/{w.catalog.field(OWN)}"),
    "GET /api/v1/assets/{asset_id}/spans": lambda w: Call("GET", f"{_A}/spans".format(asset=w.asset)),
    "POST /api/v1/assets/{asset_id}/spans": lambda w: Call(
        "POST", f"{_A}/spans".format(asset=w.asset), json={"kind": "marker", "start": 0.3, "title": "同期声"}
    ),
    "DELETE /api/v1/assets/{asset_id}/spans/{span_id}": lambda w: Call(
        "DELETE", f"{_A}/spans/{w.catalog.span(OWN, w.asset)}".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/subtitles": lambda w: Call("GET", f"{_A}/subtitles".format(asset=w.asset)),
    "POST /api/v1/assets/{asset_id}/subtitles": lambda w: Call(
        "POST", f"{_A}/subtitles".format(asset=w.asset), files={"file": ("zh.srt", _SRT)}, data={"track": "zh"}
    ),
    "OPTIONS /api/v1/uploads": lambda w: Call("OPTIONS", "/api/v1/uploads"),
    "POST /api/v1/uploads": lambda w: Call("POST", "/api/v1/uploads", headers={**_TUS, "Upload-Length": "1000"}),
    "OPTIONS /api/v1/uploads/{upload_id}": lambda w: Call("OPTIONS", f"/api/v1/uploads/{w.catalog.upload(OWN)}"),
    "HEAD /api/v1/uploads/{upload_id}": lambda w: Call("HEAD", f"/api/v1/uploads/{w.catalog.upload(OWN)}", _TUS),
    "PATCH /api/v1/uploads/{upload_id}": lambda w: Call(
        "PATCH",
        f"/api/v1/uploads/{w.catalog.upload(OWN)}",
        {**_TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=b"\x00" * 100,
    ),
    "DELETE /api/v1/uploads/{upload_id}": lambda w: Call("DELETE", f"/api/v1/uploads/{w.catalog.upload(OWN)}", _TUS),
    "POST /api/v1/uploads/{upload_id}": lambda w: Call(
        "POST", f"/api/v1/uploads/{w.catalog.upload(OWN)}", {**_TUS, "X-HTTP-Method-Override": "HEAD"}
    ),
    "GET /api/v1/assets/{asset_id}/original": lambda w: Call("GET", f"{_A}/original".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/shots": lambda w: Call("GET", f"{_A}/shots".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/qc": lambda w: Call("GET", f"{_A}/qc".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/speech": lambda w: Call("GET", f"{_A}/speech".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/storyboard.vtt": lambda w: Call("GET", f"{_A}/storyboard.vtt".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/text": lambda w: Call("GET", f"{_A}/text".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/text.srt": lambda w: Call("GET", f"{_A}/text.srt".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/text.vtt": lambda w: Call("GET", f"{_A}/text.vtt".format(asset=w.asset)),
    "GET /api/v1/assets/{asset_id}/storyboard/{number}.jpg": lambda w: Call(
        "GET", f"{_A}/storyboard/0.jpg".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/shots/{number}/keyframe.jpg": lambda w: Call(
        "GET", f"{_A}/shots/1/keyframe.jpg".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/analysis/poster.jpg": lambda w: Call(
        "GET", f"{_A}/analysis/poster.jpg".format(asset=w.asset)
    ),
    "GET /api/v1/assets/{asset_id}/shares": lambda w: Call("GET", f"{_A}/shares".format(asset=w.asset)),
    "POST /api/v1/assets/{asset_id}/shares": lambda w: Call(
        "POST", f"{_A}/shares".format(asset=w.asset), json={"tenants": [THIRD]}
    ),
    "DELETE /api/v1/assets/{asset_id}/shares/{tenant_id}": _unshare,
    "GET /api/v1/share-targets": lambda w: Call("GET", "/api/v1/share-targets"),
    "GET /api/v1/assets/{asset_id}/waveform": lambda w: Call("GET", f"{_A}/waveform".format(asset=w.asset)),
    "GET /api/v1/session": lambda w: Call("GET", "/api/v1/session"),
    "POST /api/v1/session": lambda w: Call(
        "POST", "/api/v1/session", json={"name": f"{OWN}-editor", "password": PASSWORD}
    ),
    "DELETE /api/v1/session": lambda w: Call("DELETE", "/api/v1/session"),
    "GET /metrics": lambda w: Call("GET", "/metrics"),
    "GET /api/v1/audit": lambda w: Call("GET", "/api/v1/audit"),
    "GET /api/v1/keys": lambda w: Call("GET", "/api/v1/keys"),
    "POST /api/v1/keys": lambda w: Call("POST", "/api/v1/keys", json={"name": "playout 2", "role": "playout"}),
    "DELETE /api/v1/keys/{key_id}": lambda w: Call("DELETE", f"/api/v1/keys/{w.catalog.key(OWN)}"),
    "GET /api/v1/users": lambda w: Call("GET", "/api/v1/users"),
    "POST /api/v1/users": lambda w: Call(
        "POST", "/api/v1/users", json={"name": f"u-{uuid.uuid4().hex[:8]}", "role": "viewer", "password": PASSWORD}
    ),
    "POST /api/v1/users/{name}/disable": lambda w: Call("POST", f"/api/v1/users/{w.catalog.user(OWN)}/disable"),
    "GET /api/v1/tenants": lambda w: Call("GET", "/api/v1/tenants"),
    "POST /api/v1/tenants": lambda w: Call("POST", "/api/v1/tenants", json={"id": f"county-{uuid.uuid4().hex[:8]}"}),
    "POST /api/v1/tenants/{tenant_id}/admins": lambda w: Call(
        "POST",
        f"/api/v1/tenants/{w.catalog.child(OWN)}/admins",
        json={"name": f"admin-{uuid.uuid4().hex[:8]}", "password": PASSWORD},
    ),
    "POST /api/v1/tenants/{tenant_id}/keys": lambda w: Call(
        "POST", f"/api/v1/tenants/{w.catalog.child(OWN)}/keys", json={"name": "county admin"}
    ),
    "GET /api/v1/tenants/{tenant_id}/keys": lambda w: Call("GET", f"/api/v1/tenants/{w.catalog.child(OWN)}/keys"),
    "DELETE /api/v1/tenants/{tenant_id}/keys/{key_id}": lambda w: _in_county(w, "keys/{key}"),
    "GET /api/v1/tenants/{tenant_id}/users": lambda w: Call("GET", f"/api/v1/tenants/{w.catalog.child(OWN)}/users"),
    "POST /api/v1/tenants/{tenant_id}/users/{name}/disable": lambda w: _in_county(w, "users/{user}/disable", "POST"),
}


def _in_county(w: World, path: str, method: str = "DELETE") -> Call:
    """A call on an administrator (a user and a key of role admin) of a fresh county below the own tenant."""
    county = w.catalog.child(OWN)
    where = path.format(key=w.catalog.key(county, "admin"), user=w.catalog.user(county, "admin"))
    return Call(method, f"/api/v1/tenants/{county}/{where}")


def _link(w: World, profile: str) -> str:
    """The path of a signed link to ``profile`` of the seeded asset, minted by the own tenant's admin."""
    minted = w.client.post(f"{_A}/links/{profile}".format(asset=w.asset), headers=w.catalog.keys["admin"])
    assert minted.status_code == 200, minted.text
    return "/api" + str(minted.json()["url"]).split("/api", 1)[1]


def _altered(path: str) -> str:
    token = path.split("/")[4]
    return path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))


_BUILDERS |= {
    "POST /api/v1/assets/{asset_id}/links/{profile} [proxy]": lambda w: Call(
        "POST", f"{_A}/links/proxy".format(asset=w.asset)
    ),
    "POST /api/v1/assets/{asset_id}/links/{profile} [broadcast_hd]": lambda w: Call(
        "POST", f"{_A}/links/broadcast_hd".format(asset=w.asset)
    ),
    "GET /api/v1/play/{token}/assets/{asset_id}/renditions/{profile} [proxy]": lambda w: Call("GET", _link(w, "proxy")),
    "GET /api/v1/play/{token}/assets/{asset_id}/renditions/{profile} [altered]": lambda w: Call(
        "GET", _altered(_link(w, "proxy"))
    ),
    "GET /api/v1/play/{token}/assets/{asset_id}/renditions/{profile}/{path} [hls]": lambda w: Call(
        "GET", _link(w, "hls").replace("master.m3u8", "v0/seg_1.m4s")
    ),
    "GET /api/v1/play/{token}/assets/{asset_id}/renditions/{profile}/{path} [proxy]": lambda w: Call(
        "GET", _link(w, "proxy") + "/../hls/master.m3u8"
    ),
}


def _credential(w: World, caller: str) -> dict[str, str]:
    if caller == "anon":
        return {}
    return w.catalog.keys["other_tenant" if caller == "other" else caller]


def _send(w: World, row: str, caller: str) -> tuple[int, dict[str, str], str]:
    call = _BUILDERS[row](w)
    w.client.cookies.clear()  # a sign-in's cookie must not speak for the next caller
    response = w.client.request(
        call.method,
        call.url,
        headers={**call.headers, **_credential(w, caller)},
        json=call.json,
        files=call.files,
        data=call.data,
        content=call.content,
        follow_redirects=False,
    )
    w.client.cookies.clear()
    return response.status_code, dict(response.headers), response.text[:300]


def test_every_operation_of_the_openapi_document_has_a_row_in_the_matrix_and_every_row_an_operation(
    world: World,
) -> None:
    document = world.client.get("/openapi.json").json()
    operations = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    rows = {operation_of(row) for row in MATRIX}
    assert operations - rows == set(), "operations without a row in tests/authz_matrix.py (add them)"
    assert rows - operations == set(), "rows of tests/authz_matrix.py naming no operation (remove them)"
    assert set(MATRIX) <= set(_BUILDERS), "rows without a request built for them"


def test_every_refusable_operation_says_its_permission_in_the_openapi_document(world: World) -> None:
    document = world.client.get("/openapi.json").json()
    unsaid = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "x-permission" not in operation
    ]
    assert unsaid == []


@pytest.mark.parametrize("row", list(MATRIX))
def test_each_caller_gets_the_status_the_matrix_says(world: World, row: str) -> None:
    wrong = []
    for caller in CALLERS:
        status, headers, body = _send(world, row, caller)
        expected = MATRIX[row][caller]
        if status != expected:
            wrong.append(f"{caller}: {status} (the matrix says {expected}) {body}")
        elif status == 401:
            assert headers.get("www-authenticate", "").startswith("Bearer"), (row, caller, headers)
    assert wrong == [], f"{row}:\n" + "\n".join(wrong)


def test_a_refusal_names_the_role_and_the_permission_and_never_the_other_tenant(world: World) -> None:
    viewer = world.client.patch(
        f"/api/v1/assets/{world.asset}", json={"title": "x"}, headers=world.catalog.keys["viewer"]
    )
    assert viewer.status_code == 403
    assert "viewer" in viewer.json()["detail"] and "asset:edit" in viewer.json()["detail"]
    stranger = world.client.get(f"/api/v1/assets/{world.asset}", headers=world.catalog.keys["other_tenant"])
    assert stranger.status_code == 404
    assert OWN not in stranger.text


def test_a_refused_upload_is_answered_before_its_body_is_read(world: World) -> None:
    """A viewer's multipart upload is refused from the headers: the body is never consumed."""
    consumed: list[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(64):
            consumed.append(1)
            yield b"\x00" * 65536

    headers = {**world.catalog.keys["viewer"], "Content-Type": "multipart/form-data; boundary=x"}
    refused = world.client.post("/api/v1/assets", content=body(), headers=headers)
    assert refused.status_code == 403
    assert len(consumed) < 64
