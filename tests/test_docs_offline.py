"""/docs works on an intranet with no way out: the page names no other host, and the app serves
Swagger UI's script and style itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with signed_in(TestClient(create_app(make_settings(tmp_path / "home"), run_workers=False))) as c:
        yield c


def test_the_docs_page_names_no_other_host_and_its_script_and_style_are_served_here(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert re.findall(r"(?:https?:)?//[\w.-]+", html) == []  # no absolute or scheme-relative URL at all
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/docs/assets/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.content  # the favicon too: the page fetches nothing from elsewhere
    script = client.get(next(a for a in assets if a.endswith(".js"))).text
    assert "SwaggerUIBundle" in script
    assert "'/openapi.json'" in html or '"/openapi.json"' in html
    assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def test_the_swagger_ui_served_reads_openapi_3_1_and_redoc_which_needs_a_cdn_is_off(client: TestClient) -> None:
    css = client.get("/docs/assets/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert version is not None and int(version.group(1)) >= 5  # Swagger UI 4 cannot show an OpenAPI 3.1 document
    assert "isOAS31" in bundle
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 200
