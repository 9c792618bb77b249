"""/docs: Swagger UI served from its packaged copy (``swagger-ui-bundle-v2``), so the page works on an
intranet with no way out; nothing is fetched from a CDN. (ReDoc, which only a CDN serves, is off.)

Also what the OpenAPI document needs for client generators: an uploaded file is a binary string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

__all__ = ["DOCS_ASSETS", "install_docs", "mark_file_uploads"]

DOCS_ASSETS = "/docs/assets"


def install_docs(app: FastAPI, title: str) -> None:
    """Serve ``/docs`` (and its OAuth2 redirect page) with the Swagger UI files of the installed package."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=Path(str(swagger_ui_path))), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title}: API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def mark_file_uploads(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every uploaded file (``contentMediaType: application/octet-stream``) ``format: binary`` too:
    FastAPI writes only the former, and client generators (openapi-python-client) then send a file as
    a text field."""
    for component in schema.get("components", {}).get("schemas", {}).values():
        for field in component.get("properties", {}).values():
            if field.get("type") == "string" and field.get("contentMediaType") == "application/octet-stream":
                field["format"] = "binary"
    return schema
