"""The OpenAPI document is a contract a client generator and a person can rely on: readable operation
ids, every error answer declared as problem details, and a bounded, seeded schemathesis run against a
real server that ends with no 5xx and no mismatch between what the document says and what the server does."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import auth_headers, make_settings
from live_server import live_server

from api.app import create_app
from transcode import generate

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
MAIN_OPERATIONS = {
    ("post", "/api/v1/assets"): "createAsset",
    ("get", "/api/v1/assets"): "listAssets",
    ("get", "/api/v1/assets/{asset_id}"): "getAsset",
    ("patch", "/api/v1/assets/{asset_id}"): "updateAsset",
    ("delete", "/api/v1/assets/{asset_id}"): "deleteAsset",
    ("post", "/api/v1/assets/{asset_id}/exports"): "createExport",
    ("get", "/api/v1/search"): "searchAssets",
    ("get", "/api/v1/jobs"): "listJobs",
    ("get", "/api/v1/jobs/{job_id}"): "getJob",
    ("post", "/api/v1/jobs/{job_id}/cancel"): "cancelJob",
    ("post", "/api/v1/uploads"): "createUpload",
    ("patch", "/api/v1/uploads/{upload_id}"): "appendToUpload",
    ("get", "/api/v1/profiles"): "listProfiles",
}
# Bounded and seeded: one worker, a fixed seed, 4 random examples per operation (about 160 in all) and a
# few short stateful scenarios; the coverage phase adds its fixed set of boundary cases (about 1,000
# cheap requests: missing and malformed values, methods the path does not answer). About 20 s idle.
SCHEMATHESIS_CONFIG = """\
seed = 20261207
workers = 1
max-failures = 50
request-timeout = 30
[generation]
max-examples = 4
database = "none"
[phases.stateful]
max-steps = 6
[checks]
enabled = true
# Refusing a tus request without `Tus-Resumable: 1.0.0` with 412 is what the tus protocol prescribes.
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429, 431]
[checks.missing_required_header]
expected-statuses = [400, 401, 403, 406, 412, 415, 422]
# Schema-valid is not always acceptable: a file that is not media, an unknown profile or a reserved
# field name is refused with a documented 422; an Upload-Length over the limit with a documented 413.
# A sign-in with a schema-valid name and password that match no user is 401 (and 429 once repeated).
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", 401, 403, 404, 409, 413, 422, 429]
"""


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    spec: dict[str, Any] = create_app(make_settings(tmp_path_factory.mktemp("home"))).openapi()
    return spec


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op) for path, ops in document["paths"].items() for method, op in ops.items() if method in METHODS
    ]


def test_operation_ids_are_unique_camel_case_names_of_what_each_route_does(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", i)] == []
    found = {(method, path): op["operationId"] for method, path, op in operations(document)}
    assert {key: found.get(key) for key in MAIN_OPERATIONS} == MAIN_OPERATIONS


def test_every_error_answer_is_declared_as_problem_details(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert {"type", "title", "status", "detail", "errors"} <= set(schemas["Problem"]["properties"])
    undeclared = []
    for method, path, op in operations(document):
        responses = op["responses"]
        takes_input = op.get("parameters") or op.get("requestBody")
        if takes_input and method != "options" and not any(code.startswith("4") for code in responses):
            undeclared.append((method, path, "no 4xx"))
        headers = {p["name"].lower() for p in op.get("parameters", []) if p["in"] == "header"}
        if ("{" in path or "x-tenant" in headers) and method != "options" and "404" not in responses:
            undeclared.append((method, path, "no 404"))
        for code, response in responses.items():
            if code.startswith("4") or (code.startswith("5") and path != "/healthz"):
                content = response.get("content", {})
                ref = content.get("application/problem+json", {}).get("schema", {}).get("$ref")
                if list(content) != ["application/problem+json"] or not ref.endswith("/Problem"):
                    undeclared.append((method, path, code))
    assert undeclared == []


def _seed_asset(base: str, clip: Path, headers: dict[str, str]) -> tuple[str, str]:
    """One ready asset (with a poster) for the run to read, change and delete: (asset id, job id)."""
    with clip.open("rb") as handle:
        made = httpx.post(
            f"{base}/api/v1/assets",
            files={"file": (clip.name, handle)},
            data={"profiles": "poster"},
            headers=headers,
            timeout=60,
        )
    assert made.status_code == 201, made.text
    asset = made.json()
    job_id = asset["jobs"][0]["id"]
    deadline = time.monotonic() + 60
    while httpx.get(f"{base}/api/v1/jobs/{job_id}", headers=headers).json()["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the poster job did not finish"
        time.sleep(0.2)
    return asset["id"], job_id


@pytest.mark.parametrize("credential", ["an admin key", "none"])
def test_a_seeded_schemathesis_run_finds_no_server_error_and_no_contract_mismatch(
    tmp_path: Path, credential: str
) -> None:
    clip = generate.silent_clip(tmp_path / "clip.mp4", seconds=1.0, width=320, height=240)
    # The run sends over 1,200 requests a minute with one key: the rate limits (tests/test_hardening_http.py)
    # are off here, or their 429 would stand in for the answers under test. An event stream
    # (GET /api/v1/events) ends after MAM_EVENT_STREAM_SECONDS whatever the request asks: 0.2 s here.
    settings = make_settings(
        tmp_path / "home", MAM_RATE_PER_KEY="0", MAM_RATE_PER_ADDRESS="0", MAM_EVENT_STREAM_SECONDS="0.2"
    )
    app = create_app(settings)
    with live_server(app) as base:
        headers = auth_headers(app.state.services)
        asset_id, job_id = _seed_asset(base, clip, headers)
        config = tmp_path / "schemathesis.toml"
        config.write_text(f'{SCHEMATHESIS_CONFIG}[parameters]\nasset_id = "{asset_id}"\njob_id = "{job_id}"\n')
        command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color", "run"]
        command += [f"{base}/openapi.json", "--report-dir", str(tmp_path / "report")]
        if credential != "none":  # without one, every route but the public ones must answer a declared 401
            command += ["--header", f"Authorization:{headers['Authorization']}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    generated = re.search(r"(\d+) generated", output)
    # bounded: about 30 cases per operation (78 operations with events and webhooks: 2,377 cases)
    assert generated is not None and 0 < int(generated.group(1)) <= 3000, output
    assert "failures" not in output.splitlines()[-1], output
