"""Signed links to renditions and HLS folders (:mod:`mam.links`): minted by a caller who may read the
rendition, played by anything that can fetch a URL.

``POST /api/v1/assets/{id}/links/{profile}`` -> ``{url, expires_at}`` (not under ``renditions/{profile}/``,
where a folder rendition's files are); the URL is
``/api/v1/play/<token>/assets/{id}/renditions/{profile}`` (a file rendition) or ``.../{master playlist}``
(a folder rendition: its relative playlists and segments resolve under the same token). The play routes
take no credential: the token is checked against the path, then the rendition is read as the tenant
that minted it (so a share revoked since is refused at once, whatever the link's expiry).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from api.auth import CurrentPrincipal, client_address
from api.authz import public, require_rendition
from api.deps import CurrentTenant, ServicesDep, SessionDep
from api.errors import ProblemFileResponse, problems
from mam.audit import Actor, AuditAction, record
from mam.catalog import get_rendition
from mam.errors import NotFoundError, StorageNotFoundError
from mam.layout import rendition_part_key
from mam.links import GrantedLink, LinkSigner, link_scope
from mam.models import Rendition
from mam.services import Services
from mam.storage.keys import located

__all__ = ["PLAY_PREFIX", "SignedLink", "router"]

PLAY_PREFIX = "/api/v1/play"

router = APIRouter(tags=["links"])

_PART_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment", ".mp4": "video/mp4"}
_FILE = {"description": "the file", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
_lock = threading.Lock()


class SignedLink(BaseModel):
    """A URL that plays the rendition without any header, until ``expires_at``."""

    url: str = Field(description="absolute URL; for an HLS rendition, its master playlist")
    expires_at: datetime = Field(description="when the link stops working (UTC)")


def get_signer(request: Request) -> LinkSigner:
    """The app's signer, made once (its secret read or generated on first use)."""
    state = request.app.state
    signer: LinkSigner | None = getattr(state, "link_signer", None)
    if signer is None:
        with _lock:
            signer = getattr(state, "link_signer", None)
            if signer is None:
                services: Services = state.services
                signer = state.link_signer = LinkSigner.of(services.settings)
    return signer


SignerDep = Annotated[LinkSigner, Depends(get_signer)]


def _is_folder(services: Services, profile: str) -> bool:
    known = services.profiles.get(profile)
    return known is not None and known.is_directory


@router.post(
    "/api/v1/assets/{asset_id}/links/{profile}",
    response_model=SignedLink,
    responses=problems(404),
    dependencies=[Depends(require_rendition)],
)
def create_rendition_link(
    asset_id: str,
    profile: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    signer: SignerDep,
) -> SignedLink:
    """A signed link for players that cannot send headers, valid ``MAM_LINK_SECONDS``: it plays this
    rendition (an HLS rendition: its playlists and segments) and nothing else. Giving one out is recorded
    in the audit trail as a download."""
    rendition = get_rendition(session, tenant, asset_id, profile)
    token, granted = signer.sign(tenant, link_scope(asset_id, profile), services.settings.link_seconds)
    path = f"{PLAY_PREFIX}/{token}/{granted.scope}"
    if _is_folder(services, profile):
        path += "/" + rendition.storage_key.rsplit("/", 1)[1]
    details = {"profile": profile, "rendition_id": rendition.id, "link_expires_at": granted.expires_at.isoformat()}
    actor = Actor.of(principal, client_address(request))
    record(session, actor, AuditAction.RENDITION_DOWNLOAD, target=asset_id, details=details)
    session.commit()
    return SignedLink(url=str(request.base_url).rstrip("/") + path, expires_at=granted.expires_at)


def _granted(signer: LinkSigner, token: str, asset_id: str, profile: str) -> GrantedLink:
    return signer.verify(token, link_scope(asset_id, profile))


def _serve(services: Services, key: str, media_type: str, filename: str, granted: GrantedLink) -> Response:
    """The stored file; from an object store, a playlist through this server (its relative URIs must
    resolve under the link) and anything else by a presigned URL that expires with the link at the latest."""
    local = services.storage.local_path(key)
    if local is not None:
        return ProblemFileResponse(local, media_type=media_type, filename=filename, content_disposition_type="inline")
    if key.endswith(".m3u8"):
        size = services.storage.size(key)
        return StreamingResponse(services.storage.iter_range(key, 0, size), media_type=media_type)
    seconds = min(services.settings.presign_seconds, granted.seconds_left(time.time()))
    url = services.storage.presigned_url(key, max(1, seconds), filename)
    if url is None:
        raise located(StorageNotFoundError("the file is not in the store"), key, services.storage.url)
    return RedirectResponse(url, status_code=307)


def _rendition(services: Services, granted: GrantedLink, asset_id: str, profile: str) -> Rendition:
    with services.session() as session:
        rendition = get_rendition(session, granted.tenant_id, asset_id, profile)
        session.expunge(rendition)
        return rendition


_PLAY = f"{PLAY_PREFIX}/{{token}}/assets/{{asset_id}}/renditions/{{profile}}"


@router.get(
    _PLAY,
    response_class=Response,
    responses={
        200: _FILE,
        206: {"description": "the requested byte range"},
        307: {"description": "a folder rendition's master playlist (under the same link), or a presigned URL"},
        **problems(400, 403, 404, 416, 503),
    },
    dependencies=[Depends(public)],
)
def play_rendition(asset_id: str, profile: str, token: str, services: ServicesDep, signer: SignerDep) -> Response:
    """The rendition's file (HTTP Range supported) for whoever holds a valid link; no credential is read.
    A link that is altered, expired or made for another rendition is 403."""
    granted = _granted(signer, token, asset_id, profile)
    rendition = _rendition(services, granted, asset_id, profile)
    if _is_folder(services, profile):
        master = rendition.storage_key.rsplit("/", 1)[1]
        return RedirectResponse(f"{PLAY_PREFIX}/{token}/{granted.scope}/{master}", status_code=307)
    suffix = Path(rendition.storage_key).suffix
    return _serve(services, rendition.storage_key, rendition.content_type, f"{asset_id}.{profile}{suffix}", granted)


@router.get(
    _PLAY + "/{path:path}",
    response_class=Response,
    responses={200: _FILE, 206: {"description": "the requested byte range"}, **problems(400, 403, 404, 416, 503)},
    dependencies=[Depends(public)],
)
def play_rendition_part(
    asset_id: str, profile: str, path: str, token: str, services: ServicesDep, signer: SignerDep
) -> Response:
    """A file of a folder rendition (an HLS playlist, init segment or media segment) under a valid link."""
    granted = _granted(signer, token, asset_id, profile)
    rendition = _rendition(services, granted, asset_id, profile)
    key = rendition_part_key(rendition.storage_key, path)  # NotFoundError for a path that could leave the folder
    if not services.storage.exists(key):
        raise NotFoundError(f"no {path[:80]!r} in the {profile} rendition of {asset_id}")
    return _serve(
        services, key, _PART_TYPES.get(Path(path).suffix, "application/octet-stream"), Path(path).name, granted
    )
