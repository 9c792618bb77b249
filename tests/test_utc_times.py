"""Times are timezone-aware UTC everywhere: what a POST answers and what a later GET reads back alike."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import Media, client_headers, make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.models import Asset, Job
from mam.services import Services, open_services

COUNTY = "county-a"
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(params=["sqlite", "postgres"])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """The catalog on SQLite (which keeps no zone), or on PostgreSQL in a session set to Beijing time."""
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url") + "?options=-c%20TimeZone%3DAsia%2FShanghai"
    svc = open_services(make_settings(tmp_path / "home", MAM_DATABASE_URL=url))
    try:
        yield svc
    finally:
        svc.close()


def moments(value: Any, where: str = "") -> list[tuple[str, str]]:
    """Every date-time string in a JSON answer, with where it is."""
    if isinstance(value, dict):
        return [m for k, v in value.items() for m in moments(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [m for i, v in enumerate(value) for m in moments(v, f"{where}[{i}]")]
    return [(where, value)] if isinstance(value, str) and _MOMENT.match(value) else []


def test_every_time_in_asset_job_share_rendition_and_search_answers_is_utc(services: Services, media: Media) -> None:
    with services.session() as session:
        ensure_tenant(session, COUNTY)
    with signed_in(TestClient(create_app(services=services, run_workers=True))) as client:
        with media.silent.open("rb") as handle:
            created = client.post("/api/v1/assets", files={"file": ("汛情.mp4", handle)}, data={"profiles": "proxy"})
        assert created.status_code == 201, created.text
        asset_id, job_id = created.json()["id"], created.json()["jobs"][0]["id"]
        deadline = time.monotonic() + 60
        while client.get(f"/api/v1/jobs/{job_id}").json()["state"] != "done":
            assert time.monotonic() < deadline, client.get(f"/api/v1/jobs/{job_id}").json()
            time.sleep(0.1)
        shared = client.post(f"/api/v1/assets/{asset_id}/shares", json={"tenants": [COUNTY]})
        answers = {
            "created": created.json(),
            "shared": shared.json(),
            "asset": client.get(f"/api/v1/assets/{asset_id}").json(),
            "assets": client.get("/api/v1/assets").json(),
            "job": client.get(f"/api/v1/jobs/{job_id}").json(),
            "jobs": client.get("/api/v1/jobs").json(),
            "shares": client.get(f"/api/v1/assets/{asset_id}/shares").json(),
            "search": client.get("/api/v1/search", params={"q": "汛情"}).json(),
            "as the county": client.get(f"/api/v1/assets/{asset_id}", headers=client_headers(client, COUNTY)).json(),
        }
    found = moments(answers)
    named = {re.sub(r"\[\d+\]", "[]", where) for where, _ in found}
    for expected in (
        ".created.created_at",
        ".asset.updated_at",
        ".asset.renditions[].created_at",
        ".asset.jobs[].started_at",
        ".asset.jobs[].finished_at",
        ".jobs.items[].created_at",
        ".shares[].created_at",
        ".search.items[].asset.renditions[].created_at",
        ".as the county.created_at",
    ):
        assert expected in named, (expected, sorted(named))
    naive = [(where, value) for where, value in found if not value.endswith(("Z", "+00:00"))]
    assert naive == []
    first, later = answers["created"]["created_at"], answers["asset"]["created_at"]
    assert datetime.fromisoformat(first) == datetime.fromisoformat(later)


def test_the_catalog_stores_a_moment_and_reads_it_back_in_utc_whatever_zone_it_was_written_in(
    services: Services,
) -> None:
    with services.session() as session:
        ensure_tenant(session, "t")
        asset = Asset(
            tenant_id="t",
            title="x",
            media_kind="video",
            original_filename="x.mp4",
            original_key="k",
            size=1,
            sha256="0" * 64,
            xxh3="0" * 16,
        )
        beijing_morning = datetime(2026, 6, 1, 8, 30, tzinfo=SHANGHAI)
        job = Job(asset=asset, created_at=beijing_morning, started_at=datetime(2026, 6, 1, 1, 0))  # naive: UTC
        session.add(job)
        session.commit()
        job_id = job.id
    with services.session() as session:
        read = session.get(Job, job_id)
        assert read is not None
        assert read.created_at == datetime(2026, 6, 1, 0, 30, tzinfo=UTC) and read.created_at.utcoffset() == timedelta(
            0
        )
        assert read.created_at.tzinfo is UTC and read.started_at == datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
        assert read.finished_at is None
