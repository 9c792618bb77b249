"""GET /api/v1/share-targets: the centres an asset can be shared with, by name (every tenant but the
caller's), so the web page offers a list rather than a box to type a tenant id in."""

from __future__ import annotations

from pathlib import Path

from conftest import client_headers, make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from mam.catalog import ensure_tenant


def test_share_targets_are_every_other_tenant_by_name_and_each_is_accepted_by_a_share(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "home", MAM_RATE_PER_KEY="0"))
    with TestClient(app) as client:
        services = app.state.services
        with services.session() as session:
            ensure_tenant(session, "xiangxiang", name="湘乡市融媒体中心")
            ensure_tenant(session, "shaoshan", name="韶山市融媒体中心")
        headers = client_headers(client, "xiangxiang", "editor")
        answer = client.get("/api/v1/share-targets", headers=headers)
        assert answer.status_code == 200
        targets = {t["id"]: t["name"] for t in answer.json()}
        assert "xiangxiang" not in targets
        assert targets["shaoshan"] == "韶山市融媒体中心"
        assert (
            client.get("/api/v1/share-targets", headers=client_headers(client, "xiangxiang", "viewer")).status_code
            == 403
        )
