"""GET /api/v1/jobs and `mam jobs`: a tenant's jobs, newest first, by state, a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import catalog_asset, client_headers, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.jobs.queries import list_jobs
from mam.models import Job, JobState, utcnow
from mam.services import Services


@pytest.fixture
def jobs(services: Services) -> dict[str, list[str]]:
    """Seven jobs of tenant a, one a minute, in every state; one of tenant b. Ids by state, newest first."""
    start = utcnow() - timedelta(hours=1)
    states = [JobState.DONE, JobState.FAILED, JobState.QUEUED, JobState.DONE, JobState.RUNNING, JobState.CANCELLED]
    by_state: dict[str, list[str]] = {}
    with services.session() as session:
        for tenant in ("a", "b"):
            ensure_tenant(session, tenant)
        mine, theirs = catalog_asset("a", 1, "防汛"), catalog_asset("b", 2, "春耕")
        made = [Job(asset=mine, state=s, created_at=start + timedelta(minutes=n)) for n, s in enumerate(states)]
        made.append(Job(asset=mine, kind="export", profiles=["proxy"], created_at=start + timedelta(minutes=9)))
        session.add_all([*made, Job(asset=theirs, created_at=start + timedelta(minutes=30))])
        session.commit()
        for job in reversed(made):
            by_state.setdefault(job.state, []).append(job.id)
            by_state.setdefault("all", []).append(job.id)
    return by_state


def test_the_tenants_jobs_are_listed_newest_first_filtered_by_state_and_paged(
    services: Services, jobs: dict[str, list[str]]
) -> None:
    with services.session() as session:
        every = list_jobs(session, "a")
        assert [j.id for j in every.items] == jobs["all"] and every.total == 7
        done = list_jobs(session, "a", states=[JobState.DONE])
        assert [j.id for j in done.items] == jobs["done"] and done.total == 2
        active = list_jobs(session, "a", states=[JobState.QUEUED, JobState.RUNNING], limit=2)
        assert [j.id for j in active.items] == [jobs["queued"][0], jobs["running"][0]] and active.total == 3
        page = list_jobs(session, "a", limit=3, offset=3)
        assert [j.id for j in page.items] == jobs["all"][3:6] and page.total == 7
        assert list_jobs(session, "b").total == 1 and list_jobs(session, "nobody").total == 0


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(services=services, run_workers=False))) as c:
        yield c


def test_get_jobs_answers_a_page_with_its_total_and_refuses_an_unknown_state(
    client: TestClient, jobs: dict[str, list[str]]
) -> None:
    a = client_headers(client, "a")
    page = client.get("/api/v1/jobs", params={"limit": 2, "offset": 1}, headers=a).json()
    assert [j["id"] for j in page["items"]] == jobs["all"][1:3]
    assert (page["total"], page["limit"], page["offset"]) == (7, 2, 1)
    failed = client.get("/api/v1/jobs", params={"state": ["failed", "cancelled"]}, headers=a).json()
    assert [j["state"] for j in failed["items"]] == ["cancelled", "failed"] and failed["total"] == 2
    export = client.get("/api/v1/jobs", params={"limit": 1}, headers=a).json()["items"][0]
    assert export["kind"] == "export" and export["state"] == "queued" and export["result"]["output"] is None
    assert client.get("/api/v1/jobs", params={"state": "stuck"}, headers=a).status_code == 422
    assert client.get("/api/v1/jobs", headers=client_headers(client, "b")).json()["total"] == 1


def test_the_schema_names_the_states_kinds_and_typed_reports(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["JobState"]["enum"] == ["queued", "running", "done", "failed", "cancelled"]
    assert schemas["JobKind"]["enum"] == ["render", "export"]
    assert schemas["AssetStatus"]["enum"] == ["processing", "ready", "failed"]
    assert schemas["MediaKind"]["enum"] == ["video", "audio"]
    assert schemas["QcStatus"]["enum"] == ["pass", "warn", "fail"]
    job = schemas["JobPublic"]["properties"]
    assert job["state"]["$ref"].endswith("/JobState") and job["result"]["$ref"].endswith("/JobResult")
    assert {"renditions", "output", "loudness_before", "qc"} <= set(schemas["JobResult"]["properties"])
    probe = schemas["AssetPublic"]["properties"]["probe"]["anyOf"][0]["$ref"]
    assert probe.endswith("/MediaInfo") and "start_timecode" in schemas["MediaInfo"]["properties"]
    qc = client.get("/openapi.json").json()["paths"]["/api/v1/assets/{asset_id}/qc"]["get"]["responses"]["200"]
    assert qc["content"]["application/json"]["schema"]["$ref"].endswith("/QcReport")
    assert schemas["QcReport"]["properties"]["measurements"]["$ref"].endswith("/QcMeasurements")
    profile = schemas["ProfilePublic"]["properties"]
    assert profile["video"]["anyOf"][0]["$ref"].endswith("/VideoSpec")
    assert profile["streaming"]["anyOf"][0]["$ref"].endswith("/StreamingSpec")
    for name in ("AssetSummary", "JobPublic", "RenditionPublic", "SharePublic"):
        created = schemas[name]["properties"]["created_at"]
        assert created["format"] == "date-time", name
