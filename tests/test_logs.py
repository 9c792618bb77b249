"""Logs: one structured line (JSON or key=value) per record, job lines carrying their ids, a first line
saying what the process runs with, and no secret in any of it (a real `mam serve` driven with a key, a
sign-in, a key in a URL and a signed link; its whole output searched)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_settings
from live_server import free_port

from mam.catalog import ensure_tenant
from mam.identity import create_key, create_user
from mam.logs import JsonFormatter, TextFormatter, fields, redact, safe_url
from mam.services import open_services
from transcode import generate

PASSWORD = "Correct-horse-battery-9"
WRONG = "Wrong-password-7-secret"
URL_SECRET = "u" * 20 + "-link-secret-" + "v" * 20
TENANT = "county-logs"


def _record(message: str, *args: Any, name: str = "mam.test", exc: bool = False, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)
    if exc:
        try:
            raise RuntimeError(f"failed with {extra.pop('secret_in_error')}")
        except RuntimeError:
            record.exc_info = sys.exc_info()
    for key, value in fields(**extra).items():
        setattr(record, key, value)
    return record


def test_a_json_line_parses_and_carries_its_fields_at_the_top() -> None:
    line = JsonFormatter().format(_record("job ended", job="j-1", asset="a-1", tenant="t", duration_s=1.5))
    parsed = json.loads(line)
    assert "\n" not in line
    assert parsed["message"] == "job ended" and parsed["level"] == "info" and parsed["logger"] == "mam.test"
    assert (parsed["job"], parsed["asset"], parsed["tenant"], parsed["duration_s"]) == ("j-1", "a-1", "t", 1.5)
    assert parsed["time"].endswith("Z")


def test_a_text_line_reads_as_key_value_pairs() -> None:
    line = TextFormatter().format(_record("job ended", job="j-1", profiles=["proxy", "poster"], reason="no space"))
    assert " INFO mam.test job ended job=j-1 profiles=proxy,poster " in line
    assert line.endswith('reason="no space"')
    assert "\n" not in TextFormatter().format(_record("upgrade 0017 -> 0018, lanes;\nJobs already queued", lane=None))


def test_the_formatters_blank_every_shape_of_secret() -> None:
    key = "mam_0123abcd_" + "S" * 43
    secrets = {
        "key": key,
        "bearer": "eyJhbGciOiJSUzI1NiJ9.payload.sig",
        "cookie": "c00kie-value-123",
        "password": "hunter2-password",
        "link": "l1.Y291bnR5.1700000000.c2lnbmF0dXJl",
        "amz": "deadbeefsignature",
        "db": "dbpassw0rd",
    }
    record = _record(
        "GET %s with %s",
        f"/api/v1/play/{secrets['link']}/assets/x/renditions/proxy",
        f"Authorization: Bearer {secrets['bearer']}",
        exc=True,
        secret_in_error=f"key {key} and mam_session={secrets['cookie']}",
        body={"name": "wang", "password": secrets["password"]},
        url=f"https://s3.example/b/k?X-Amz-Signature={secrets['amz']}&X-Amz-Expires=60",
        catalog=f"postgresql+psycopg://mam:{secrets['db']}@db/mam",
        token=secrets["bearer"],
    )
    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(record)
        assert [name for name, secret in secrets.items() if secret in line] == [], line
        assert "[redacted]" in line
    assert json.loads(JsonFormatter().format(record))["body"] == {"name": "wang", "password": "[redacted]"}
    assert redact("nothing secret here: job 42 took 3 s") == "nothing secret here: job 42 took 3 s"
    assert safe_url("postgresql+psycopg://mam:pw@db:5432/mam") == "postgresql+psycopg://mam:***@db:5432/mam"
    assert safe_url("amqp://guest:guest@127.0.0.1:5672/") == "amqp://guest:***@127.0.0.1:5672/"


@dataclass
class Served:
    url: str
    log: Path
    key: str
    user: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A real `mam serve` (embedded default: it runs the jobs) with MAM_LOG_FORMAT=json, its output in a file."""
    home = tmp_path / "home"
    env = {"MAM_HOME": str(home), "MAM_LOG_FORMAT": "json", "MAM_URL_SECRET": URL_SECRET}
    services = open_services(make_settings(home, **env))
    with services.session() as session:
        ensure_tenant(session, TENANT)
        key = create_key(session, services.roles, TENANT, "editor", "logs test").key
        create_user(session, services.roles, "logs-editor", TENANT, "editor", PASSWORD)
    services.close()
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded machine (the suite in two processes) starts it slowly
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError("mam serve did not start: " + log.read_text()[-2000:])
            time.sleep(0.2)
        yield Served(url, log, key, "logs-editor")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_mam_serve_logs_json_lines_with_its_settings_its_jobs_and_no_secret(served: Served, tmp_path: Path) -> None:
    clip = generate.silent_clip(tmp_path / "clip.mp4", seconds=2.0, width=320, height=240)
    bearer = {"Authorization": f"Bearer {served.key}"}
    with httpx.Client(base_url=served.url, timeout=60) as client:
        assert client.post("/api/v1/session", json={"name": served.user, "password": WRONG}).status_code == 401
        signed = client.post("/api/v1/session", json={"name": served.user, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        cookie = client.cookies.get("mam_session")
        assert cookie and client.get("/api/v1/session").status_code == 200
        client.cookies.clear()
        assert client.get("/api/v1/assets", params={"api_key": served.key}).status_code == 401
        assert (
            client.get("/api/v1/assets", headers={"Authorization": f"Bearer {served.key[:-4]}zzzz"}).status_code == 401
        )
        with clip.open("rb") as handle:
            made = client.post(
                "/api/v1/assets", files={"file": ("clip.mp4", handle)}, data={"profiles": "proxy"}, headers=bearer
            )
        assert made.status_code == 201, made.text
        asset, job = made.json()["id"], made.json()["jobs"][0]["id"]
        deadline = time.monotonic() + 120
        while client.get(f"/api/v1/jobs/{job}", headers=bearer).json()["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, "the job did not end"
            time.sleep(0.3)
        link = client.post(f"/api/v1/assets/{asset}/links/proxy", headers=bearer).json()["url"]
        assert client.get(link).status_code == 200
    time.sleep(0.5)  # the last access lines
    text = served.log.read_text(encoding="utf-8")
    lines = _lines(served.log)  # every line is a JSON object

    start = next(line for line in lines if line.get("event") == "serve.start")
    assert start["broker"] == "embedded" and start["catalog"].startswith("sqlite:///")
    assert start["link_signing"] == "MAM_URL_SECRET"
    began = [line for line in lines if line.get("event") == "job.start"]
    ended = [line for line in lines if line.get("event") == "job.end"]
    assert [(b["job"], b["asset"], b["tenant"], b["profiles"]) for b in began] == [(job, asset, TENANT, ["proxy"])]
    assert [(e["job"], e["asset"], e["tenant"], e["outcome"]) for e in ended] == [(job, asset, TENANT, "done")]
    assert ended[0]["duration_s"] > 0 and ended[0]["frames"] == 50 and ended[0]["fps"] > 0
    assert ended[0]["lane"] == "normal" and ended[0]["attempt"] == 1
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(a["method"] == "POST" and a["path"] == "/api/v1/assets" and a["status"] == 201 for a in access)
    assert any("/play/[redacted]/" in a["path"] and a["status"] == 200 for a in access)

    token = link.split("/play/", 1)[1].split("/", 1)[0]
    secrets = {
        "key": served.key,
        "key secret": served.key.split("_", 2)[2],
        "password": PASSWORD,
        "wrong password": WRONG,
        "cookie": cookie,
        "url secret": URL_SECRET,
        "link token": token,
        "link signature": token.rsplit(".", 1)[1],
    }
    assert [name for name, secret in secrets.items() if secret in text] == []
