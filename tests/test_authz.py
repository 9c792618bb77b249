"""The authorization policy (mam.identity.access) on the roles shipped, the route dependency's guard, and
a person signed in (cookie session) held to their role like a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from authz_catalog import PASSWORD, seed
from fastapi.testclient import TestClient

from api.app import create_app
from api.authz import require
from mam.errors import PermissionDeniedError
from mam.identity import Principal, load_roles
from mam.identity.access import authorize, authorize_rendition
from mam.services import Services

ROLES = load_roles()


def _principal(role: str) -> Principal:
    return Principal(kind="key", id="k", name="ab12cd34", tenant_id="county-a", role=ROLES[role])


@pytest.mark.parametrize(
    ("role", "profile", "allowed"),
    [
        ("playout", "broadcast_hd", True),
        ("playout", "proxy", False),
        ("playout", "hls", False),
        ("newsroom", "proxy", True),
        ("newsroom", "web_720p", True),
        ("newsroom", "hls", True),
        ("newsroom", "broadcast_hd", False),
        ("viewer", "poster", True),
        ("viewer", "vertical", False),
        ("editor", "vertical", True),
        ("platform", "proxy", False),
    ],
)
def test_a_role_reads_the_renditions_its_globs_name_and_no_others(role: str, profile: str, allowed: bool) -> None:
    if allowed:
        authorize_rendition(_principal(role), profile)
    else:
        with pytest.raises(PermissionDeniedError, match=role):
            authorize_rendition(_principal(role), profile)


def test_a_refusal_names_the_principal_its_role_and_the_permission() -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        authorize(_principal("newsroom"), "asset:edit")
    assert str(refused.value) == "key:ab12cd34 has the role 'newsroom', which does not allow asset:edit"


def test_the_platform_role_may_read_no_asset_and_the_editor_may_not_delete_one() -> None:
    with pytest.raises(PermissionDeniedError):
        authorize(_principal("platform"), "asset:read")
    with pytest.raises(PermissionDeniedError):
        authorize(_principal("editor"), "asset:delete")
    authorize(_principal("admin"), "asset:delete")


def test_a_misspelt_permission_fails_when_the_route_is_defined_not_when_it_is_called() -> None:
    with pytest.raises(ValueError, match="asset:reed"):
        require("asset:reed")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="asset:reed"):
        authorize(_principal("admin"), "asset:reed")


def test_a_person_signed_in_has_the_rights_of_their_role_like_a_key(sqlite_services: Services, tmp_path: Path) -> None:
    """The cookie session of an editor: edits metadata, may not delete the asset (403) or read the
    audit trail, and a write without the session's CSRF token is refused before the role is asked."""
    catalog = seed(sqlite_services, tmp_path / "seed", "county-a", "county-b", "county-c")
    asset = catalog.asset("county-a", "会商")
    with TestClient(create_app(services=sqlite_services, run_workers=False)) as client:
        signed = client.post("/api/v1/session", json={"name": "county-a-editor", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
        url = f"/api/v1/assets/{asset}"
        assert client.patch(url, json={"title": "改"}, headers=csrf).status_code == 200
        refused = client.delete(url, headers=csrf)
        assert refused.status_code == 403 and "asset:delete" in refused.json()["detail"]
        assert client.get("/api/v1/audit").status_code == 403
        assert client.delete(url).json()["type"] == "urn:mam:problem:csrf-refused"
        assert client.get(url).json()["title"] == "改"
