"""Tenant isolation: no search total, facet, list count or error message reveals another tenant's
assets; a share makes an asset readable (only readable) by the tenant it names, and revoking it takes
that away at once, search included. On SQLite and PostgreSQL (their searches are built differently)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from authz_catalog import SeededCatalog, seed
from fastapi.testclient import TestClient

from api.app import create_app
from mam.identity import create_key
from mam.metadata import add_span
from mam.services import Services

OWN, OTHER, THIRD = "county-a", "county-b", "county-c"
WORD = "鸭绿江水文站"
"""Only in the own tenant's asset (its title, a tag, its programme and a marker's note)."""


@dataclass
class Tenants:
    client: TestClient
    catalog: SeededCatalog
    asset: str

    @property
    def own(self) -> dict[str, str]:
        return self.catalog.keys["admin"]

    @property
    def other(self) -> dict[str, str]:
        return self.catalog.keys["other_tenant"]


@pytest.fixture
def tenants(services: Services, tmp_path: Path) -> Iterator[Tenants]:
    catalog = seed(services, tmp_path / "seed", OWN, OTHER, THIRD)
    asset = catalog.asset(OWN, f"{WORD}汛情会商", tags=(f"{WORD}专题",), programme=f"{WORD}新闻")
    catalog.renditions(OWN, asset)
    catalog.analysis(OWN, asset)
    with services.session() as session:
        add_span(session, OWN, asset, "marker", 0.2, None, "同期声", f"{WORD}站长采访")
    catalog.job(asset)
    catalog.export(OWN, asset, "proxy")
    with TestClient(create_app(services=services, run_workers=False)) as client:
        yield Tenants(client, catalog, asset)


def _search(t: Tenants, headers: dict[str, str], q: str = WORD) -> dict[str, Any]:
    response = t.client.get("/api/v1/search", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _facet_values(found: dict[str, Any]) -> set[str]:
    return {f["value"] for facet in (found.get("facets") or {}).values() for f in facet}


def _nothing_of_the_own_tenant(t: Tenants, found: dict[str, Any]) -> None:
    assert found["total"] == 0 and found["items"] == []
    assert not found["total_is_estimate"] and found["facets_over"] in (0, None)
    assert _facet_values(found) == set(), found["facets"]


def test_another_tenants_search_finds_nothing_and_counts_nothing_of_an_asset_not_shared_with_it(
    tenants: Tenants,
) -> None:
    t = tenants
    mine = _search(t, t.own)
    assert mine["total"] == 1 and f"{WORD}专题" in _facet_values(mine)
    for q in (WORD, f"tag:{WORD}专题", f'programme:"{WORD}新闻"', "同期声", ""):
        _nothing_of_the_own_tenant(t, _search(t, t.other, q))
    listed = t.client.get("/api/v1/assets", params={"q": WORD}, headers=t.other).json()
    assert listed["total"] == 0 and listed["items"] == []
    assert t.client.get("/api/v1/assets", headers=t.other).json()["total"] == 0


def test_another_tenants_job_and_audit_lists_count_nothing_of_the_own_tenant(tenants: Tenants) -> None:
    t = tenants
    assert (
        t.client.post(f"/api/v1/assets/{t.asset}/shares", json={"tenants": [THIRD]}, headers=t.own).status_code == 200
    )
    assert t.client.get("/api/v1/jobs", headers=t.own).json()["total"] == 2
    jobs = t.client.get("/api/v1/jobs", headers=t.other).json()
    assert jobs["total"] == 0 and jobs["items"] == []
    of_asset = t.client.get("/api/v1/jobs", params={"asset_id": t.asset}, headers=t.other)
    assert of_asset.status_code == 404 or of_asset.json()["total"] == 0
    audit = t.client.get("/api/v1/audit", headers=t.other)
    if audit.status_code != 404:  # the audit trail's route, where it is served
        assert audit.status_code == 200
        assert t.asset not in audit.text and OWN not in audit.text
        assert all(entry["tenant_id"] == OTHER for entry in audit.json()["items"])


def test_a_refused_object_says_nothing_of_what_the_owner_has(tenants: Tenants) -> None:
    """Another tenant's asset is a plain 404: no title, tenant, rendition list or sheet count in it."""
    t = tenants
    base = f"/api/v1/assets/{t.asset}"
    for url in (
        base,
        f"{base}/renditions/proxy",
        f"{base}/renditions/vertical",
        f"{base}/renditions/hls/v0/index.m3u8",
        f"{base}/storyboard/7.jpg",
        f"{base}/shots/9/keyframe.jpg",
        f"{base}/qc",
        f"{base}/spans",
        f"{base}/shares",
    ):
        response = t.client.get(url, headers=t.other)
        assert response.status_code == 404, (url, response.text)
        detail = response.json()["detail"]
        assert OWN not in detail and WORD not in detail and "made" not in detail and "sheet" not in detail, detail
        assert not any(ch.isdigit() for ch in detail.replace(t.asset, "")), detail


def test_a_share_makes_the_asset_readable_by_that_tenant_only_and_revoking_it_takes_that_away_at_once(
    tenants: Tenants,
) -> None:
    t = tenants
    base = f"/api/v1/assets/{t.asset}"
    granted = t.client.post(f"{base}/shares", json={"tenants": [OTHER]}, headers=t.own)
    assert granted.status_code == 200, granted.text

    found = _search(t, t.other)
    assert found["total"] == 1 and [h["asset"]["id"] for h in found["items"]] == [t.asset]
    assert f"{WORD}专题" in _facet_values(found)
    assert t.client.get(base, headers=t.other).json()["shared"] is True
    for url in ("renditions/proxy", "renditions/hls/v0/index.m3u8", "qc", "shots", "spans", "subtitles"):
        assert t.client.get(f"{base}/{url}", headers=t.other).status_code == 200, url
    assert [span["note"] for span in t.client.get(f"{base}/spans", headers=t.other).json()] == [f"{WORD}站长采访"]

    read_only = {
        "PATCH": (base, {"title": "改写"}),
        "DELETE": (base, None),
        "POST exports": (f"{base}/exports", {"profile": "proxy", "start": 0.1, "end": 0.5}),
        "POST renditions": (f"{base}/renditions", {"profiles": ["web_720p"]}),
        "POST shares": (f"{base}/shares", {"tenants": [THIRD]}),
        "POST spans": (f"{base}/spans", {"kind": "marker", "start": 0.1}),
        "DELETE shares": (f"{base}/shares/{OTHER}", None),
    }
    for name, (url, body) in read_only.items():
        method = name.split()[0]
        response = t.client.request(method, url, json=body, headers=t.other)
        assert response.status_code == 403, (name, response.text)
    assert t.client.get(base, headers=t.own).json()["title"].startswith(WORD)  # nothing changed

    assert t.client.delete(f"{base}/shares/{OTHER}", headers=t.own).status_code == 204
    _nothing_of_the_own_tenant(t, _search(t, t.other))
    assert t.client.get("/api/v1/assets", headers=t.other).json()["total"] == 0
    for url in (base, f"{base}/renditions/proxy", f"{base}/renditions/hls/v0/index.m3u8", f"{base}/qc"):
        assert t.client.get(url, headers=t.other).status_code == 404, url


def test_the_platform_role_reads_no_assets_of_its_own_tenant_or_shared_with_it(tenants: Tenants) -> None:
    """The provincial operator's role manages tenants; reading content is for the other roles."""
    t = tenants
    theirs = t.catalog.asset(OTHER, "省台共享素材")
    t.catalog.share(theirs, OWN)
    assert t.client.get(f"/api/v1/assets/{theirs}", headers=t.catalog.keys["viewer"]).status_code == 200
    platform = t.catalog.keys["platform"]
    for url in ("/api/v1/search", "/api/v1/assets", f"/api/v1/assets/{t.asset}", f"/api/v1/assets/{theirs}"):
        assert t.client.get(url, headers=platform).status_code == 403, url


def test_a_role_refusal_is_the_same_whether_the_other_tenants_object_exists_or_not(
    tenants: Tenants, services: Services
) -> None:
    """Another tenant's viewer asking to change the asset gets the 403 of its role, exactly as for an id
    that names nothing: the refusal is decided before any object is looked up."""
    t = tenants
    with services.session() as session:
        viewer = {"Authorization": f"Bearer {create_key(session, services.roles, OTHER, 'viewer').key}"}
    nowhere = "00000000-0000-4000-8000-000000000000"
    answers = []
    for asset in (t.asset, nowhere):
        response = t.client.patch(f"/api/v1/assets/{asset}", json={"title": "x"}, headers=viewer)
        answers.append((response.status_code, response.json()["detail"]))
    assert answers[0] == answers[1] and answers[0][0] == 403
