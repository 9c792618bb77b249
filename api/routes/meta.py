"""Profiles and health."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.authz import public
from api.deps import ServicesDep
from mam.public import ProfilePublic

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(public)])  # what the server offers and whether it is up: no credential

_HEALTH = {
    "description": "each check: `ok`, or `error: ...`; `status` is `ok` or `degraded`",
    "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}},
}


@router.get("/api/v1/profiles", response_model=list[ProfilePublic], tags=["profiles"])
def list_profiles(services: ServicesDep) -> list[ProfilePublic]:
    return [ProfilePublic.of(p) for p in services.profiles.values()]


@router.get("/healthz", tags=["health"], responses={200: _HEALTH, 503: {**_HEALTH, "description": "degraded"}})
def check_health(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with services.session() as session:
            session.execute(text("SELECT 1"))
        checks["catalog"] = "ok"
    except Exception as exc:
        checks["catalog"] = f"error: {exc}"
    try:
        services.storage.exists("healthz-probe")
        checks["storage"] = "ok"
    except Exception as exc:
        checks["storage"] = f"error: {exc}"
    healthy = all(v == "ok" for v in checks.values())
    checks["broker"] = "embedded" if services.settings.embedded_broker else "redis"
    return JSONResponse({"status": "ok" if healthy else "degraded", **checks}, status_code=200 if healthy else 503)
