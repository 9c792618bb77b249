"""What each role sees of an asset: the renditions it may read, jobs only with job:read, the original's
address only with original:read; and the original itself, downloaded and recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from authz_catalog import SeededCatalog, seed
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from mam.services import open_services

OWN, OTHER, THIRD = "county-own", "county-other", "county-third"


@dataclass
class Seeded:
    client: TestClient
    catalog: SeededCatalog
    asset: str


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    root = tmp_path_factory.mktemp("views")
    services = open_services(make_settings(root / "home"))
    try:
        catalog = seed(services, root / "seed", OWN, OTHER, THIRD)
        asset = catalog.asset(OWN, "防汛调度会 views")
        catalog.renditions(OWN, asset)
        catalog.job(asset)
        with TestClient(create_app(services=services, run_workers=False)) as client:
            yield Seeded(client, catalog, asset)
    finally:
        services.close()


def _view(s: Seeded, role: str, path: str = "") -> dict[str, Any]:
    answer = s.client.get(f"/api/v1/assets/{s.asset}{path}", headers=s.catalog.keys[role])
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_each_role_sees_the_renditions_it_reads_and_jobs_and_original_only_when_allowed(seeded: Seeded) -> None:
    s = seeded
    admin = _view(s, "admin")
    assert sorted(r["profile"] for r in admin["renditions"]) == ["broadcast_hd", "hls", "proxy"]
    assert admin["jobs"] and admin["original_url"] == f"/api/v1/assets/{s.asset}/original"
    newsroom = _view(s, "newsroom")
    assert sorted(r["profile"] for r in newsroom["renditions"]) == ["hls", "proxy"]
    assert newsroom["jobs"] == [] and newsroom["original_url"] is None
    viewer = _view(s, "viewer")
    assert sorted(r["profile"] for r in viewer["renditions"]) == ["hls", "proxy"]
    assert viewer["jobs"] and viewer["original_url"] is None


def test_lists_and_search_hits_are_trimmed_the_same_way(seeded: Seeded) -> None:
    s = seeded
    for role, expected in (("editor", ["broadcast_hd", "hls", "proxy"]), ("newsroom", ["hls", "proxy"])):
        listed = s.client.get("/api/v1/assets", headers=s.catalog.keys[role]).json()["items"]
        mine = [a for a in listed if a["id"] == s.asset]
        assert [sorted(r["profile"] for r in a["renditions"]) for a in mine] == [expected], role
        hits = s.client.get("/api/v1/search", params={"q": "防汛"}, headers=s.catalog.keys[role]).json()["items"]
        found = [h["asset"] for h in hits if h["asset"]["id"] == s.asset]
        assert [sorted(r["profile"] for r in a["renditions"]) for a in found] == [expected], role


def test_the_original_downloads_with_ranges_for_roles_that_read_originals_and_is_audited(seeded: Seeded) -> None:
    s = seeded
    whole = s.client.get(f"/api/v1/assets/{s.asset}/original", headers=s.catalog.keys["editor"])
    assert whole.status_code == 200, whole.text
    assert whole.content == s.catalog.clip.read_bytes()
    assert "clip.mp4" in whole.headers["content-disposition"]
    part = s.client.get(
        f"/api/v1/assets/{s.asset}/original", headers={**s.catalog.keys["editor"], "Range": "bytes=10-19"}
    )
    assert part.status_code == 206 and part.content == whole.content[10:20]
    for role in ("newsroom", "playout", "viewer"):
        refused = s.client.get(f"/api/v1/assets/{s.asset}/original", headers=s.catalog.keys[role])
        assert refused.status_code == 403 and "original:read" in refused.json()["detail"], role
    trail = s.client.get(
        "/api/v1/audit", params={"action": "original.download", "target": s.asset}, headers=s.catalog.keys["admin"]
    ).json()
    assert trail["total"] == 1  # the ranged request that did not start at byte 0 is not another download
    assert trail["items"][0]["details"]["filename"] == "clip.mp4"


def test_a_shared_assets_original_download_is_in_the_owners_trail_too(seeded: Seeded) -> None:
    s = seeded
    s.catalog.share(s.asset, OTHER)
    theirs = s.catalog.keys["other_tenant"]  # an administrator of the tenant it is shared with
    assert s.client.get(f"/api/v1/assets/{s.asset}/original", headers=theirs).status_code == 200
    owner = s.client.get(
        "/api/v1/audit", params={"action": "original.download"}, headers=s.catalog.keys["admin"]
    ).json()["items"]
    recipient = s.client.get("/api/v1/audit", params={"action": "original.download"}, headers=theirs).json()["items"]
    assert [(e["tenant_id"], e["target"]) for e in recipient] == [(OTHER, s.asset)]
    assert (OWN, s.asset) in [(e["tenant_id"], e["target"]) for e in owner]
    assert recipient[0]["actor_id"] in {e["actor_id"] for e in owner}
