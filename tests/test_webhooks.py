"""Webhooks: registered by a tenant's administrator, each delivery signed the Standard Webhooks way,
retried with backoff after failures, dead after its attempts, redelivered on request, logged with
status codes; URLs that are not http(s) refused; the secret shown once and never again."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import auth_headers, catalog_asset, make_settings
from live_server import live_server
from standardwebhooks import Webhook

from api.app import create_app
from mam.jobs import create_asset_with_job
from mam.services import Services

_http = httpx.Client(timeout=60)  # not httpx's 5 s: a loaded machine may take longer


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 answering each POST with the next of ``answers`` (then the last)."""

    answers: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        n = len(self.received)
        return self.answers[min(n - 1, len(self.answers) - 1)]

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} of {count} requests arrived"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver([200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            made.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(made.answer())
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    made.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mam?token=abc"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        server.shutdown()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    env = {"MAM_WEBHOOK_BACKOFF_SECONDS": "0", "MAM_WEBHOOK_MAX_ATTEMPTS": "3", "MAM_RATE_PER_KEY": "0"}
    app = create_app(make_settings(tmp_path / "home", **env), run_workers=True)
    with live_server(app) as base:
        yield base, app.state.services


def _asset(services: Services) -> str:
    with services.session() as session:
        create_asset_with_job(session, catalog_asset("default", 1, "防汛"), [])
        from mam.events import events_after

        return events_after(session, 0)[-1].subject


def _deliveries(base: str, headers: dict[str, str], hook: str) -> list[dict[str, Any]]:
    answer = _http.get(f"{base}/api/v1/webhooks/{hook}/deliveries", headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _settled(base: str, headers: dict[str, str], hook: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = _deliveries(base, headers, hook)
        if items and items[0]["state"] != "pending":
            return items[0]
        time.sleep(0.1)
    raise AssertionError(f"the delivery never settled: {items}")


def test_a_delivery_is_signed_retried_after_failures_until_answered_and_logged_with_status_codes(
    api: tuple[str, Services], receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    base, services = api
    caplog.set_level(logging.DEBUG)
    headers = auth_headers(services)
    asset_id = _asset(services)
    receiver.answers = [500, 503, 204]
    made = _http.post(
        f"{base}/api/v1/webhooks", headers=headers, json={"url": receiver.url, "event_types": ["asset.updated"]}
    )
    assert made.status_code == 201, made.text
    hook, secret = made.json()["id"], made.json()["secret"]
    assert secret.startswith("whsec_")

    changed = _http.patch(f"{base}/api/v1/assets/{asset_id}", headers=headers, json={"title": "防汛调度会"})
    assert changed.status_code == 200

    receiver.wait_for(3)
    delivery = _settled(base, headers, hook)
    assert delivery["state"] == "succeeded" and delivery["attempts"] == 3 and delivery["last_status"] == 204
    assert [a["status_code"] for a in delivery["log"]] == [500, 503, 204]
    assert delivery["log"][0]["error"] == "answered 500"
    ids = {h["webhook-id"] for h, _ in receiver.received}
    assert ids == {f"msg_{delivery['id']}"}  # the same id at every attempt: the receiver drops duplicates
    for sent_headers, body in receiver.received:
        event = Webhook(secret).verify(body, sent_headers)
        assert event["type"] == "asset.updated" and event["subject"] == asset_id
        assert event["data"]["title"] == "防汛调度会"
        with pytest.raises(Exception, match="signature"):
            Webhook("whsec_" + "A" * 43).verify(body, sent_headers)
    assert len(receiver.received) == 3  # only the type asked for: asset.created was not sent

    shown = (
        _http.get(f"{base}/api/v1/webhooks", headers=headers).text
        + _http.get(f"{base}/api/v1/webhooks/{hook}", headers=headers).text
        + str(_deliveries(base, headers, hook))
    )
    assert secret not in shown and secret[6:] not in shown
    assert secret[6:] not in caplog.text


def test_a_delivery_that_keeps_failing_is_dead_after_its_attempts_and_sent_again_on_request(
    api: tuple[str, Services], receiver: Receiver
) -> None:
    base, services = api
    headers = auth_headers(services)
    receiver.answers = [503]
    hook = _http.post(f"{base}/api/v1/webhooks", headers=headers, json={"url": receiver.url}).json()["id"]
    _asset(services)  # asset.created: every type but job.progress when none are named

    receiver.wait_for(3)
    dead = _settled(base, headers, hook)
    assert dead["state"] == "dead" and dead["attempts"] == 3 and dead["last_status"] == 503
    assert [d["event_type"] for d in _deliveries(base, headers, hook)] == ["asset.created"]

    receiver.answers = [503, 503, 503, 200]
    again = _http.post(f"{base}/api/v1/webhooks/{hook}/deliveries/{dead['id']}/redeliver", headers=headers)
    assert again.status_code == 202 and again.json()["state"] == "pending"
    receiver.wait_for(4)
    redelivered = _settled(base, headers, hook)
    assert redelivered["state"] == "succeeded" and redelivered["attempts"] == 1
    assert [a["status_code"] for a in redelivered["log"]] == [503, 503, 503, 200]


def test_an_endpoint_that_does_not_answer_is_logged_with_the_reason_and_no_url(
    api: tuple[str, Services], receiver: Receiver
) -> None:
    base, services = api
    headers = auth_headers(services)
    url = "http://127.0.0.1:9/hooks?token=s3cr3t-token"  # the discard port: nothing listens
    hook = _http.post(f"{base}/api/v1/webhooks", headers=headers, json={"url": url}).json()["id"]
    _asset(services)

    dead = _settled(base, headers, hook)
    assert dead["state"] == "dead" and dead["last_status"] is None
    assert dead["last_error"].startswith("ConnectError") and "s3cr3t" not in str(dead)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http:///no-host",
        "http://user:pw@example.org/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
    ],
)
def test_a_url_that_is_not_http_or_names_a_link_local_address_is_refused(tmp_path: Path, url: str) -> None:
    app = create_app(make_settings(tmp_path / "home"), run_workers=False)
    with live_server(app) as base:
        answer = _http.post(f"{base}/api/v1/webhooks", headers=auth_headers(app.state.services), json={"url": url})
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == "urn:mam:problem:webhook-refused"
    assert "pw@" not in answer.text


def test_private_addresses_are_refused_when_the_setting_says_so(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "home", MAM_WEBHOOK_ALLOW_PRIVATE="0"), run_workers=False)
    with live_server(app) as base:
        headers = auth_headers(app.state.services)
        for url in ("http://127.0.0.1:8080/h", "https://10.1.2.3/h", "http://localhost/h"):
            answer = _http.post(f"{base}/api/v1/webhooks", headers=headers, json={"url": url})
            assert answer.status_code == 422 and "private" in answer.json()["detail"], answer.text
        unknown = _http.post(
            f"{base}/api/v1/webhooks", headers=headers, json={"url": "https://1.1.1.1/h", "event_types": ["x.y"]}
        )
        assert unknown.status_code == 422
