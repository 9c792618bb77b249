"""Every error answer is RFC 9457 problem details (application/problem+json): package errors, request
validation, HTTP exceptions, routing's 404 and 405, tus, and anything unexpected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings, signed_in
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.errors import ProblemFileResponse
from api.routes import tus as tus_routes
from mam.errors import BusyError
from mam.public.problem import Problem

PROBLEM = "application/problem+json"


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(make_settings(tmp_path / "home"), run_workers=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with signed_in(TestClient(app)) as c:
        yield c


def problem(response: Response, status: int) -> dict[str, Any]:
    """The body of a problem-details answer, checked against the Problem model."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    Problem.model_validate(body)
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_a_package_error_names_its_kind_and_says_what_went_wrong(client: TestClient) -> None:
    body = problem(client.get("/api/v1/assets/nonexistent"), 404)
    assert body["type"] == "urn:mam:problem:not-found"
    assert "nonexistent" in body["detail"] and "errors" not in body
    unknown = {"Authorization": "Bearer mam_0badc0de_" + "x" * 43}
    unknown_key = problem(client.get("/api/v1/assets", headers=unknown), 401)
    assert unknown_key["type"] == "urn:mam:problem:unauthenticated" and "x" * 43 not in unknown_key["detail"]


def test_a_refused_request_lists_each_field_with_a_short_excerpt_of_what_was_sent(client: TestClient) -> None:
    huge = "新闻" * 1_000_000  # 2 million characters, far over the description's limit
    response = client.patch("/api/v1/assets/any", json={"description": huge, "tags": "not a list", "colour": 1})
    body = problem(response, 422)
    assert body["type"] == "urn:mam:problem:validation-error"
    assert isinstance(body["detail"], str) and "description" in body["detail"]
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"description", "tags", "colour"}
    assert fields["description"]["loc"] == ["body", "description"]
    assert fields["description"]["type"] == "string_too_long"
    assert (
        fields["description"]["input"].startswith("新闻新闻") and "2000000 characters" in fields["description"]["input"]
    )
    assert len(fields["description"]["input"]) < 120
    assert fields["tags"]["input"] == "not a list" and fields["tags"]["message"]
    assert len(response.content) < 3000  # nothing of the 6 MB body comes back


def test_a_missing_field_says_which_without_quoting_the_whole_form(client: TestClient) -> None:
    body = problem(client.post("/api/v1/assets", data={"title": "x"}), 422)
    assert [(e["field"], e["type"], e.get("input")) for e in body["errors"]] == [("file", "missing", None)]


def test_a_search_date_must_be_a_calendar_date_not_a_number(client: TestClient) -> None:
    for value in ("0", "1700000000", "2026-13-01", "yesterday"):
        body = problem(client.get("/api/v1/search", params={"date_to": value}), 422)
        assert [e["field"] for e in body["errors"]] == ["date_to"], value
    assert client.get("/api/v1/search", params={"date_from": "2026-01-31"}).status_code == 200


def test_a_body_that_cannot_be_parsed_is_a_400_problem(client: TestClient) -> None:
    response = client.put(
        "/api/v1/fields/channel", content=b"\xff\xfe\x00", headers={"Content-Type": "application/json"}
    )
    assert problem(response, 400)["type"] == "about:blank"


def test_an_unknown_path_and_a_wrong_method_are_problems_and_allow_lists_every_method(client: TestClient) -> None:
    assert "/api/v1/nothing-here" in problem(client.get("/api/v1/nothing-here"), 404)["detail"]
    wrong = client.delete("/api/v1/assets")
    problem(wrong, 405)
    assert wrong.headers["allow"] == "GET, POST"  # two routes share the path; both methods are named
    asset = client.put("/api/v1/assets/some-id")
    problem(asset, 405)
    assert asset.headers["allow"] == "DELETE, GET, PATCH"
    static = client.post("/docs/assets/swagger-ui.css")
    assert problem(static, 405)["detail"].endswith("GET, HEAD") and static.headers["allow"] == "GET, HEAD"


def test_tus_errors_are_problems_with_their_tus_status_and_headers(client: TestClient) -> None:
    no_version = client.post("/api/v1/uploads", headers={"Upload-Length": "10"})
    assert "Tus-Resumable" in problem(no_version, 412)["detail"]
    assert no_version.headers["tus-version"] == "1.0.0" and no_version.headers["tus-resumable"] == "1.0.0"
    tus = {"Tus-Resumable": "1.0.0"}
    no_length = problem(client.post("/api/v1/uploads", headers=tus), 400)
    assert no_length["type"] == "urn:mam:problem:bad-upload-request" and "Upload-Length" in no_length["detail"]
    missing = client.head("/api/v1/uploads/0123456789abcdef0123456789abcdef", headers=tus)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    made = client.post("/api/v1/uploads", headers={**tus, "Upload-Length": "4"})
    location = made.headers["location"]
    patch = {**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    bad_sum = client.patch(
        location, content=b"abcd", headers={**patch, "Upload-Checksum": "sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    )
    assert problem(bad_sum, 460)["type"] == "urn:mam:problem:checksum-mismatch"
    wrong_offset = client.patch(location, content=b"abcd", headers={**patch, "Upload-Offset": "2"})
    assert problem(wrong_offset, 409)["type"] == "urn:mam:problem:conflict"


def test_an_unexpected_error_is_a_500_problem_that_keeps_its_message_to_the_log(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret /internal/path/key")

    with TestClient(app, raise_server_exceptions=False) as client:
        body = problem(client.get("/boom"), 500)
    assert "secret" not in body["detail"] and body["type"] == "urn:mam:problem:internal-error"


def test_a_range_past_the_end_or_malformed_is_a_problem_and_a_good_range_is_served(tmp_path: Path) -> None:
    stored = tmp_path / "proxy.mp4"
    stored.write_bytes(bytes(range(256)) * 4)
    app = FastAPI()

    @app.get("/file")
    def serve() -> ProblemFileResponse:
        return ProblemFileResponse(stored, media_type="video/mp4")

    with TestClient(app) as client:
        past = client.get("/file", headers={"Range": "bytes=5000-"})
        assert problem(past, 416)["detail"].endswith("(1024 bytes)")
        assert past.headers["content-range"] == "bytes */1024"
        assert "Range" in problem(client.get("/file", headers={"Range": "lines=1-2"}), 400)["detail"]
        part = client.get("/file", headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == bytes(range(10, 20))
        assert client.get("/file").content == stored.read_bytes()


def test_a_busy_server_says_when_to_try_again_on_tus_routes_too(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def overloaded(*args: object, **kwargs: object) -> None:
        raise BusyError("the probe ran out of time while the server was busy", retry_after=7)

    monkeypatch.setattr(tus_routes, "complete_upload", overloaded)
    tus = {"Tus-Resumable": "1.0.0"}
    made = client.post("/api/v1/uploads", headers={**tus, "Upload-Length": "4"})
    patch = {**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    busy = client.patch(made.headers["location"], content=b"abcd", headers=patch)
    assert problem(busy, 503)["type"] == "urn:mam:problem:busy"
    assert busy.headers["retry-after"] == "7" and busy.headers["tus-resumable"] == "1.0.0"
