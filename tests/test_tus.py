"""The tus 1.0 protocol under /api/v1/uploads, request by request (in-process client)."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Media, client_headers, make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.errors import StorageError
from mam.ingest import ingest_file
from mam.tus import encode_metadata
from mam.tus.complete import COMPLETION_ATTEMPTS

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "home", MAM_MAX_UPLOAD_MB="1")
    with signed_in(TestClient(create_app(settings, run_workers=False))) as c:
        yield c


def create(client: TestClient, length: int, **metadata: str) -> str:
    made = client.post(
        "/api/v1/uploads", headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": encode_metadata(metadata)}
    )
    assert made.status_code == 201, made.text
    location: str = made.headers["Location"]
    assert location.startswith("/api/v1/uploads/")
    return location


def patch(client: TestClient, url: str, offset: int, body: bytes, **headers: str) -> tuple[int, dict[str, str]]:
    answer = client.patch(url, content=body, headers={**OCTETS, "Upload-Offset": str(offset), **headers})
    return answer.status_code, dict(answer.headers)


def sha1(data: bytes) -> str:
    return "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()


def test_options_says_what_the_server_supports(client: TestClient) -> None:
    """(A browser's CORS preflight, for MAM_CORS_ORIGINS only: tests/test_hardening_http.py.)"""
    answer = client.options("/api/v1/uploads")
    assert answer.status_code == 204
    h = answer.headers
    assert h["Tus-Version"] == "1.0.0" and h["Tus-Max-Size"] == str(1024 * 1024)
    assert set(h["Tus-Extension"].split(",")) >= {"creation", "termination", "checksum"}
    assert "sha1" in h["Tus-Checksum-Algorithm"].split(",")


def test_an_upload_in_chunks_becomes_an_asset_only_when_complete(client: TestClient, media: Media) -> None:
    data = media.wav.read_bytes()
    url = create(client, len(data), filename="radio.wav", title="午间新闻", tags="广播,新闻", profiles="proxy")
    half = len(data) // 2
    status, headers = patch(client, url, 0, data[:half], **{"Upload-Checksum": sha1(data[:half])})
    assert status == 204 and headers["upload-offset"] == str(half) and "mam-asset-id" not in headers
    assert client.get("/api/v1/assets").json()["total"] == 0
    head = client.head(url, headers=TUS)
    assert head.headers["Upload-Offset"] == str(half) and head.headers["Cache-Control"] == "no-store"
    status, headers = patch(client, url, half, data[half:], **{"Upload-Checksum": sha1(data[half:])})
    assert status == 204 and headers["upload-offset"] == str(len(data))
    asset = client.get(headers["mam-asset-location"]).json()
    assert asset["id"] == headers["mam-asset-id"] and headers["mam-asset-duplicate"] == "false"
    assert asset["title"] == "午间新闻" and asset["tags"] == ["广播", "新闻"]
    assert asset["original_filename"] == "radio.wav" and asset["sha256"] == hashlib.sha256(data).hexdigest()
    assert [j["profiles"] for j in asset["jobs"]] == [["proxy"]]
    again = client.head(url, headers=TUS)  # a client that lost the last answer can still find the asset
    assert again.headers["Mam-Asset-Id"] == asset["id"]


def test_the_same_content_uploaded_twice_is_reported_as_a_duplicate(client: TestClient, media: Media) -> None:
    data = media.wav.read_bytes()
    first = patch(client, create(client, len(data), filename="a.wav"), 0, data)[1]
    second = patch(client, create(client, len(data), filename="b.wav"), 0, data)[1]
    assert second["mam-asset-duplicate"] == "true" and second["mam-asset-id"] == first["mam-asset-id"]


def test_an_upload_over_the_limit_is_refused_before_any_data(client: TestClient) -> None:
    answer = client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": str(1024 * 1024 + 1)})
    assert answer.status_code == 413 and "MAM_MAX_UPLOAD_MB" in answer.text


def test_a_chunk_whose_checksum_does_not_match_is_discarded_with_460(client: TestClient, media: Media) -> None:
    data = media.wav.read_bytes()
    url = create(client, len(data), filename="radio.wav")
    status, _ = patch(client, url, 0, data[:1000], **{"Upload-Checksum": sha1(b"something else")})
    assert status == 460
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "0"


def test_a_patch_at_the_wrong_offset_is_a_conflict(client: TestClient, media: Media) -> None:
    data = media.wav.read_bytes()
    url = create(client, len(data), filename="radio.wav")
    assert patch(client, url, 0, data[:1000])[0] == 204
    assert patch(client, url, 500, data[500:1500])[0] == 409
    assert patch(client, url, 1000, data[1000:] + b"extra")[0] == 400  # past Upload-Length
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "1000"


def test_a_terminated_upload_is_gone(client: TestClient) -> None:
    url = create(client, 100, filename="x.wav")
    assert client.delete(url, headers=TUS).status_code == 204
    assert client.head(url, headers=TUS).status_code == 404


def test_requests_without_tus_resumable_are_refused_with_412(client: TestClient) -> None:
    answer = client.post("/api/v1/uploads", headers={"Upload-Length": "10"})
    assert answer.status_code == 412 and answer.headers["Tus-Version"] == "1.0.0"


def test_another_tenant_cannot_see_an_upload(client: TestClient) -> None:
    url = create(client, 100, filename="x.wav")
    assert client.head(url, headers={**TUS, **client_headers(client, "elsewhere")}).status_code == 404


def test_a_complete_upload_that_is_not_media_is_refused_and_leaves_nothing(client: TestClient, media: Media) -> None:
    data = media.garbage.read_bytes()[:4000]
    url = create(client, len(data), filename="notes.mp4")
    status, _ = patch(client, url, 0, data)
    assert status == 422
    assert client.get("/api/v1/assets").json()["total"] == 0
    assert client.head(url, headers=TUS).status_code == 404


def test_creation_with_upload_takes_the_first_bytes_with_the_post(client: TestClient, media: Media) -> None:
    data = media.wav.read_bytes()
    made = client.post(
        "/api/v1/uploads",
        content=data,
        headers={**OCTETS, "Upload-Length": str(len(data)), "Upload-Metadata": encode_metadata({"filename": "r.wav"})},
    )
    assert made.status_code == 201 and made.headers["Upload-Offset"] == str(len(data))
    assert made.headers["Mam-Asset-Id"]


def test_an_announced_whole_file_sha256_is_checked_before_the_upload_becomes_an_asset(
    client: TestClient, media: Media
) -> None:
    data = media.wav.read_bytes()
    wrong = create(client, len(data), filename="radio.wav", sha256=hashlib.sha256(data[:-1]).hexdigest())
    status, headers = patch(client, wrong, 0, data)
    assert status == 460 and "mam-asset-id" not in headers
    assert client.get("/api/v1/assets").json()["total"] == 0
    assert client.head(wrong, headers=TUS).status_code == 404  # the bytes were removed with the upload

    right = create(client, len(data), filename="radio.wav", sha256=hashlib.sha256(data).hexdigest().upper())
    status, headers = patch(client, right, 0, data)
    assert status == 204
    asset = client.get(headers["mam-asset-location"]).json()
    assert asset["sha256"] == hashlib.sha256(data).hexdigest()

    malformed = client.post(
        "/api/v1/uploads",
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": encode_metadata({"sha256": "abc"})},
    )
    assert malformed.status_code == 400 and "64 hexadecimal" in malformed.text


def age_upload(home: Path, url: str, hours: float) -> None:
    """Make an upload look as if its last bytes arrived ``hours`` ago."""
    folder = home / "work" / "tus" / url.rsplit("/", 1)[1]
    then = time.time() - hours * 3600
    for path in [*folder.iterdir(), folder]:
        os.utime(path, (then, then))


def test_an_unfinished_upload_says_when_it_expires_and_answers_410_afterwards(
    client: TestClient, media: Media, tmp_path: Path
) -> None:
    assert "expiration" in client.options("/api/v1/uploads").headers["Tus-Extension"].split(",")
    data = media.wav.read_bytes()
    made = client.post(
        "/api/v1/uploads",
        headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": encode_metadata({"filename": "r.wav"})},
    )
    url = made.headers["Location"]
    expires = parsedate_to_datetime(made.headers["Upload-Expires"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)
    age_upload(tmp_path / "home", url, 2)  # two quiet hours: 22 left
    quiet = parsedate_to_datetime(client.head(url, headers=TUS).headers["Upload-Expires"])
    assert timedelta(hours=21) < quiet - datetime.now(UTC) <= timedelta(hours=22)
    status, headers = patch(client, url, 0, data[:1000])  # new bytes: 24 hours again
    assert status == 204 and parsedate_to_datetime(headers["upload-expires"]) - quiet > timedelta(hours=1)

    age_upload(tmp_path / "home", url, 25)
    gone = client.head(url, headers=TUS)
    assert gone.status_code == 410 and gone.headers["Tus-Resumable"] == "1.0.0"
    assert "expired" in client.patch(url, content=data[1000:], headers={**OCTETS, "Upload-Offset": "1000"}).text


def test_a_completion_failing_unexpectedly_is_retried_by_head_then_given_up_with_410(
    client: TestClient, media: Media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def unavailable(*args: object, **kwargs: object) -> None:
        calls.append("ingest")
        raise StorageError("the object store did not answer")

    monkeypatch.setattr("mam.tus.complete.ingest_file", unavailable)
    data = media.wav.read_bytes()
    url = create(client, len(data), filename="radio.wav")
    assert patch(client, url, 0, data)[0] == 503  # the first attempt, with the last bytes
    assert client.head(url, headers=TUS).status_code == 503  # tried again
    assert client.head(url, headers=TUS).status_code == 503  # the last try: its bytes are dropped
    assert client.head(url, headers=TUS).status_code == 410
    gone = client.patch(url, content=b"", headers={**OCTETS, "Upload-Offset": str(len(data))})
    assert gone.status_code == 410 and "the object store did not answer" in gone.text
    assert len(calls) == COMPLETION_ATTEMPTS == 3
    folder = tmp_path / "home" / "work" / "tus" / url.rsplit("/", 1)[1]
    assert not list(folder.glob("data*"))  # no longer answering 503 forever, and no bytes kept


def test_a_completion_that_failed_once_succeeds_on_the_next_head(
    client: TestClient, media: Media, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = iter([StorageError("the object store did not answer")])

    def flaky(*args: Any, **kwargs: Any) -> Any:
        for error in failures:
            raise error
        return ingest_file(*args, **kwargs)

    monkeypatch.setattr("mam.tus.complete.ingest_file", flaky)
    data = media.wav.read_bytes()
    url = create(client, len(data), filename="radio.wav")
    assert patch(client, url, 0, data)[0] == 503
    head = client.head(url, headers=TUS)
    assert head.status_code == 200 and head.headers["Mam-Asset-Id"]
    assert "Upload-Expires" not in head.headers  # an asset now: nothing left to expire for the client
