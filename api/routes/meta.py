"""Profiles and health."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ServicesDep
from api.schemas import ProfilePublic

__all__ = ["router"]

router = APIRouter()


@router.get("/api/v1/profiles", response_model=list[ProfilePublic], tags=["profiles"])
def profiles(services: ServicesDep) -> list[ProfilePublic]:
    return [
        ProfilePublic(
            name=p.name,
            description=p.description,
            container=p.container,
            extension=p.extension,
            applies_to=list(p.applies_to),
            video=p.video.model_dump() if p.video else None,
            audio=p.audio.model_dump() if p.audio else None,
            image=p.image.model_dump() if p.image else None,
        )
        for p in services.profiles.values()
    ]


@router.get("/healthz", tags=["health"])
def health(services: ServicesDep) -> JSONResponse:
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
