"""Deleting an asset: every URL it had answers 404 afterwards, and the store keeps none of its files."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from conftest import Media, auth_headers, make_settings, signed_in
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.deletion import delete_asset
from mam.errors import ForbiddenError, NotFoundError
from mam.layout import asset_prefix
from mam.models import Asset, Job, JobState, SearchEntry, Share, Span
from mam.search import SearchRequest, search
from mam.services import Services, open_services

OWNER, READER, STRANGER = "province", "county-a", "county-b"


_KEYS: dict[str, dict[str, str]] = {}
"""An API key (administrator) of each tenant of the test, made by the fixture."""


def as_(tenant: str) -> dict[str, str]:
    return _KEYS[tenant]


@pytest.fixture(params=["local", "s3"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, Services]]:
    env: dict[str, str] = {}
    if request.param == "s3":
        env = {
            "MAM_STORAGE_URL": f"s3://mam-{uuid.uuid4().hex[:12]}/centre",
            "MAM_S3_ENDPOINT_URL": request.getfixturevalue("s3_endpoint"),
            "MAM_S3_CREATE_BUCKET": "1",
        }
    services = open_services(make_settings(tmp_path / "home", **env))
    with services.session() as session:
        for tenant in (OWNER, READER, STRANGER):
            ensure_tenant(session, tenant)
    _KEYS.update({tenant: auth_headers(services, tenant) for tenant in (OWNER, READER, STRANGER)})
    try:
        with signed_in(TestClient(create_app(services=services, run_workers=True))) as client:
            yield client, services
    finally:
        services.close()


def _wait(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=as_(OWNER)).json()
        if job["state"] in ("done", "failed", "cancelled"):
            assert job["state"] == "done", job
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def _stored_keys(services: Services, prefix: str) -> list[str]:
    """Every object the store keeps under ``prefix``, listed by the store's own means."""
    settings = services.settings
    if settings.storage_url.startswith("s3://"):
        bucket, _, base = settings.storage_url.removeprefix("s3://").partition("/")
        s3 = boto3.client("s3", endpoint_url=settings.s3_endpoint_url)
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{base}/{prefix}")
        return [o["Key"] for page in pages for o in page.get("Contents", [])]
    root = Path(services.storage.url)
    return [p.relative_to(root).as_posix() for p in (root / prefix).rglob("*") if p.is_file()]


def _urls(client: TestClient, asset: dict[str, Any], export_job: str) -> list[str]:
    """Every URL the asset answers on: its view, files, HLS parts, analysis, metadata, shares, jobs."""
    base = f"/api/v1/assets/{asset['id']}"
    urls = [base, f"{base}/qc", f"{base}/shots", f"{base}/spans", f"{base}/subtitles", f"{base}/shares"]
    urls += [r["url"] for r in asset["renditions"]]
    folder_url = client.get(f"{base}/renditions/hls", headers=as_(OWNER), follow_redirects=False)
    assert folder_url.status_code == 307, folder_url.text
    urls.append(folder_url.headers["location"])
    master = _served(client, urls[-1])
    assert master.status_code == 200, master.text
    variant = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    urls.append(f"{base}/renditions/hls/{variant}")
    playlist = _served(client, urls[-1]).text
    folder = variant.rsplit("/", 1)[0] + "/" if "/" in variant else ""
    parts = re.findall(r'URI="([^"]+)"', playlist) + [x for x in playlist.splitlines() if x and not x.startswith("#")]
    urls += [f"{base}/renditions/hls/{folder}{p}" for p in parts[:2]]
    shots = client.get(f"{base}/shots", headers=as_(OWNER)).json()
    urls += [s["keyframe_url"] for s in shots["shots"] if s["keyframe_url"]]
    urls += [u for u in (shots["storyboard_vtt"], shots["poster_url"]) if u]
    if shots["storyboard_vtt"]:
        urls.append(f"{base}/storyboard/0.jpg")
    urls += [f"/api/v1/jobs/{j['id']}" for j in asset["jobs"]]
    urls += [f"/api/v1/jobs/{export_job}", f"/api/v1/jobs/{export_job}/output"]
    return urls


def _served(client: TestClient, url: str, tenant: str = OWNER) -> httpx.Response:
    response: httpx.Response = client.get(url, headers=as_(tenant), follow_redirects=False)
    if response.status_code == 307:
        location = response.headers["location"]
        if location.startswith("http"):  # a presigned URL of the object store
            return httpx.get(location)
        return _served(client, location, tenant)
    return response


def test_a_deleted_asset_answers_404_on_every_url_it_had_and_leaves_no_file_in_the_store(
    deployment: tuple[TestClient, Services], media: Media
) -> None:
    client, services = deployment
    with media.phone.open("rb") as handle:
        created = client.post(
            "/api/v1/assets",
            files={"file": ("防汛.mp4", handle)},
            data={"title": "湘江防汛抢险", "profiles": "proxy,hls"},
            headers=as_(OWNER),
        )
    assert created.status_code == 201, created.text
    asset_id = created.json()["id"]
    _wait(client, created.json()["jobs"][0]["id"])
    span = {"kind": "marker", "start": 0.5, "note": "堤坝特写"}
    assert client.post(f"/api/v1/assets/{asset_id}/spans", json=span, headers=as_(OWNER)).status_code == 201
    vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n\xe6\xb0\xb4\xe4\xbd\x8d\xe4\xb8\x8a\xe6\xb6\xa8\n"
    subtitles = client.post(f"/api/v1/assets/{asset_id}/subtitles", files={"file": ("zh.vtt", vtt)}, headers=as_(OWNER))
    assert subtitles.status_code == 201, subtitles.text
    assert client.post(f"/api/v1/assets/{asset_id}/shares", json={"tenants": [READER]}, headers=as_(OWNER)).is_success
    export = client.post(
        f"/api/v1/assets/{asset_id}/exports", json={"profile": "proxy", "start": 0.5, "end": 1.5}, headers=as_(OWNER)
    )
    assert export.status_code == 202, export.text
    _wait(client, export.json()["id"])

    asset = client.get(f"/api/v1/assets/{asset_id}", headers=as_(OWNER)).json()
    urls = _urls(client, asset, export.json()["id"])
    answers = {url: _served(client, url) for url in urls}
    assert all(r.status_code in (200, 206) for r in answers.values()), {u: r.status_code for u, r in answers.items()}
    presigned = [r for r in answers.values() if r.url.host != "testserver"]  # S3: files come from the store
    assert bool(presigned) == services.settings.storage_url.startswith("s3://")
    assert _served(client, asset["renditions"][0]["url"], READER).status_code == 200
    searched = {"q": "防汛", "facets": "false"}
    found = client.get("/api/v1/search", params=searched, headers=as_(READER)).json()["items"]
    assert [h["asset"]["id"] for h in found] == [asset_id]
    prefix = asset_prefix(OWNER, asset_id)
    stored = _stored_keys(services, prefix)
    assert any("/original/" in k for k in stored) and any("/exports/" in k for k in stored)
    assert any("/analysis/" in k for k in stored) and sum("/renditions/hls/" in k for k in stored) > 3

    refused = client.delete(f"/api/v1/assets/{asset_id}", headers=as_(READER))
    assert refused.status_code == 403, refused.text
    assert client.delete(f"/api/v1/assets/{asset_id}", headers=as_(STRANGER)).status_code == 404
    assert _served(client, asset["renditions"][0]["url"]).status_code == 200  # refusals removed nothing

    deleted = client.delete(f"/api/v1/assets/{asset_id}", headers=as_(OWNER))
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {
        "asset_id": asset_id,
        "renditions": 2,
        "jobs": 2,
        "cancelled_jobs": 0,
        "shares": 1,
        "objects": len(stored),
    }
    for url in urls:
        for tenant in (OWNER, READER):
            assert client.get(url, headers=as_(tenant), follow_redirects=False).status_code == 404, (url, tenant)
    assert _stored_keys(services, prefix) == []
    for tenant in (OWNER, READER):
        assert client.get("/api/v1/search", params=searched, headers=as_(tenant)).json()["items"] == []
        assert asset_id not in {a["id"] for a in client.get("/api/v1/assets", headers=as_(tenant)).json()["items"]}
    assert client.get("/api/v1/jobs", headers=as_(OWNER)).json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert client.delete(f"/api/v1/assets/{asset_id}", headers=as_(OWNER)).status_code == 404


def test_deleting_an_asset_cancels_its_queued_job_and_removes_every_row_of_it_on_both_backends(
    services: Services, media: Media
) -> None:
    with services.session() as session:
        ensure_tenant(session, READER)
    with signed_in(TestClient(create_app(services=services, run_workers=False))) as client:  # nothing runs the job
        with media.silent.open("rb") as handle:
            asset = client.post(
                "/api/v1/assets", files={"file": ("a.mp4", handle)}, data={"title": "防汛会商", "profiles": "proxy"}
            )
        asset_id, job_id = asset.json()["id"], asset.json()["jobs"][0]["id"]
        assert client.post(f"/api/v1/assets/{asset_id}/shares", json={"tenants": [READER]}).is_success
        marker = {"kind": "marker", "start": 0.5, "note": "水位"}
        assert client.post(f"/api/v1/assets/{asset_id}/spans", json=marker).status_code == 201
        keep = client.post("/api/v1/assets", files={"file": ("b.wav", media.wav.read_bytes())}, data={"title": "防汛"})
        assert keep.status_code == 201, keep.text
    owner = services.settings.default_tenant
    with pytest.raises(ForbiddenError):
        delete_asset(services, READER, asset_id)
    with services.session() as session:
        assert session.get(Job, job_id).state == JobState.QUEUED  # type: ignore[union-attr]
    removed = delete_asset(services, owner, asset_id)
    assert (removed.jobs, removed.cancelled_jobs, removed.renditions, removed.shares) == (1, 1, 0, 1)
    with services.session() as session:
        left = {
            table.__tablename__: session.scalar(
                select(func.count()).select_from(table).where(table.asset_id == asset_id)
            )
            for table in (Job, Span, SearchEntry, Share)
        }
        assert left == {"jobs": 0, "spans": 0, "search_entries": 0, "asset_shares": 0}
        assert session.get(Asset, asset_id) is None and session.get(Asset, keep.json()["id"]) is not None
        found = search(session, owner, SearchRequest(q="防汛", facets=False))
        assert [h.asset.id for h in found.hits] == [keep.json()["id"]]
    with pytest.raises(NotFoundError):
        delete_asset(services, owner, asset_id)


def test_deleting_an_asset_while_its_render_runs_stops_the_render_and_leaves_no_file_behind(
    tmp_path: Path,
) -> None:
    from transcode.generate import broadcast_clip

    clip = broadcast_clip(tmp_path / "long.mxf", seconds=6.0)
    services = open_services(make_settings(tmp_path / "home"))
    try:
        with signed_in(TestClient(create_app(services=services, run_workers=True))) as client:
            with clip.open("rb") as handle:
                asset = client.post(
                    "/api/v1/assets", files={"file": ("long.mxf", handle)}, data={"profiles": "broadcast_hd,proxy"}
                ).json()
            job_url = f"/api/v1/jobs/{asset['jobs'][0]['id']}"
            deadline = time.monotonic() + 60
            while (job := client.get(job_url).json())["state"] == "queued" or job["progress"] == 0:
                assert time.monotonic() < deadline and job["state"] in ("queued", "running"), job
                time.sleep(0.05)
            assert job["state"] == "running", job
            removed = client.delete(f"/api/v1/assets/{asset['id']}")
            assert removed.status_code == 200 and removed.json()["cancelled_jobs"] == 1, removed.text
            assert client.get(job_url).status_code == 404
        # The app has stopped its workers: whatever the render had stored it removed on seeing its job gone.
        assert _stored_keys(services, asset_prefix(services.settings.default_tenant, asset["id"])) == []
    finally:
        services.close()
