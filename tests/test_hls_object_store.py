"""HLS from an object store through the authenticated route: the playlists come through our server, so a
player resolves their relative URIs (variants, segments) under our route, and the segments then go to the
store by presigned URLs."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from authz_catalog import seed
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from mam.services import open_services

OWN = "county-hls"


def test_an_hls_ladder_in_s3_plays_through_the_authenticated_route(tmp_path: Path, s3_endpoint: str) -> None:
    settings = make_settings(
        tmp_path / "home",
        MAM_STORAGE_URL=f"s3://mam-{uuid.uuid4().hex[:12]}/hls",
        MAM_S3_ENDPOINT_URL=s3_endpoint,
        MAM_S3_CREATE_BUCKET="1",
    )
    services = open_services(settings)
    try:
        catalog = seed(services, tmp_path / "seed", OWN, "county-x", "county-y")
        asset = catalog.asset(OWN, "s3 hls")
        catalog.renditions(OWN, asset)
        headers = catalog.keys["viewer"]
        with TestClient(create_app(services=services, run_workers=False)) as client:
            base = f"/api/v1/assets/{asset}/renditions/hls"
            entry = client.get(base, headers=headers, follow_redirects=False)
            assert entry.status_code == 307 and entry.headers["location"] == f"{base}/master.m3u8"
            master = client.get(f"{base}/master.m3u8", headers=headers, follow_redirects=False)
            assert master.status_code == 200, master.text
            assert master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
            variant_uri = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
            variant = client.get(f"{base}/{variant_uri}", headers=headers, follow_redirects=False)
            assert variant.status_code == 200 and "#EXT-X-MAP" in variant.text
            segment_uri = next(line for line in variant.text.splitlines() if line and not line.startswith("#"))
            folder = variant_uri.rsplit("/", 1)[0]
            segment = client.get(f"{base}/{folder}/{segment_uri}", headers=headers, follow_redirects=False)
            assert segment.status_code == 307  # the bytes themselves come from the store
            stored = httpx.get(segment.headers["location"], timeout=30)
            assert stored.status_code == 200 and stored.content == b"\x00" * 256
    finally:
        services.close()
