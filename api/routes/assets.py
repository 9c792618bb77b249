"""/api/v1/assets: upload, list, read, describe, and download renditions."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from api.actor import CurrentActor
from api.authz import authorize_before_body, require, require_rendition
from api.deps import CurrentPrincipal, CurrentTenant, ServicesDep, SessionDep
from api.errors import problems
from api.files import serve_stored, starts_download
from api.uploads import receive_upload
from mam import limits
from mam.audit import AuditAction, record
from mam.catalog import AssetChanges, get_asset, get_rendition, list_assets, update_asset
from mam.deletion import delete_asset
from mam.errors import NotFoundError
from mam.ingest import ingest_file
from mam.jobs import RenditionRequest, request_export, request_renditions, resolve_profiles, retry_asset
from mam.layout import rendition_part_key
from mam.models import JobLane
from mam.public import (
    AssetDeleted,
    AssetList,
    AssetPublic,
    AssetStatus,
    AssetUpdate,
    ExportCreate,
    JobPublic,
    RenditionsCreate,
    RenditionsRequested,
    RetryCreate,
)
from mam.public.requests import LANE_FIELD

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])

_FILE = {"description": "the file", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


class _ProfilesFirst(APIRoute):
    """Checks ``?profiles=`` before the body is read: a client that names its profiles in the query has
    an unknown name refused (422) before it sends a byte of the file (the form's own ``profiles`` field
    can only be read with the body, and is checked before the file is copied or probed)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            await authorize_before_body(request, "asset:create")  # 401/403 before the body is read
            names = _split(request.query_params.get("profiles"))
            if names:
                resolve_profiles(request.app.state.services, names)  # JobRequestError: 422
            return await handler(request)

        return handle


async def create_asset(
    services: ServicesDep,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="the media file")],
    title: Annotated[str | None, Form(max_length=limits.MAX_TITLE_CHARS)] = None,
    description: Annotated[str, Form(max_length=limits.MAX_DESCRIPTION_CHARS)] = "",
    tags: Annotated[
        str | None,
        Form(
            description=f"comma-separated tags (at most {limits.MAX_TAGS}, each at most {limits.MAX_TAG_CHARS} "
            "characters)",
            max_length=limits.MAX_TAGS * (limits.MAX_TAG_CHARS + 2),
        ),
    ] = None,
    profiles: Annotated[
        str | None,
        Form(
            description="comma-separated profiles (default: MAM_DEFAULT_PROFILES, made where they apply); "
            "each must exist and apply to the file"
        ),
    ] = None,
    profiles_in_query: Annotated[
        str | None,
        Query(
            alias="profiles",
            description="the same as the form field (which wins); given here, an unknown profile is refused "
            "before the file is sent",
        ),
    ] = None,
    lane: Annotated[JobLane, Form(description=LANE_FIELD)] = JobLane.NORMAL,
) -> Response:
    """Upload a media file: an unknown profile is refused (422) before the file is copied or looked at,
    one that cannot be made from it once it is probed, both before anything is stored. Content the
    tenant already holds answers 200 with that asset, and the profiles it lacks are queued on it."""
    names = _split(profiles) or _split(profiles_in_query) or None
    if names is not None:
        resolve_profiles(services, names)  # JobRequestError (422) for an unknown name
    path = await receive_upload(file, services.settings.work_dir / "uploads", services.settings.max_upload_bytes)
    try:
        result = await run_in_threadpool(
            ingest_file,
            services,
            path,
            tenant_id=tenant,
            title=title,
            description=description,
            tags=_split(tags),
            profiles=names,
            filename=file.filename or path.name,
            actor=actor,
            lane=lane,
        )
    finally:
        path.unlink(missing_ok=True)
    with services.session() as session:
        asset = get_asset(session, tenant, result.asset.id)
        body = AssetPublic.of(asset, duplicate=result.duplicate).seen_by(principal)
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=200 if result.duplicate else 201,
        headers={"Location": f"/api/v1/assets/{asset.id}"},
    )


router.add_api_route(
    "",
    create_asset,
    methods=["POST"],
    status_code=201,
    response_model=AssetPublic,
    responses={
        200: {"description": "the same content is already in the catalog", "model": AssetPublic},
        **problems(404, 413, (422, "an invalid field, not a media file we can read, or an unknown profile"), 503),
    },
    route_class_override=_ProfilesFirst,
    dependencies=[require("asset:create")],
)


@router.get(
    "", response_model=AssetList, name="list_assets", responses=problems(404, 422), dependencies=[require("asset:read")]
)
def list_all(
    session: SessionDep,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    q: Annotated[
        str | None,
        Query(description="a search, as /api/v1/search understands it (its hits in its order); none: newest first"),
    ] = None,
    status: Annotated[AssetStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AssetList:
    page = list_assets(session, tenant, q=q, status=status, limit=limit, offset=offset)
    return AssetList.of(page, tenant, principal)


@router.get(
    "/{asset_id}",
    response_model=AssetPublic,
    name="get_asset",
    responses=problems(404),
    dependencies=[require("asset:read")],
)
def read(asset_id: str, session: SessionDep, tenant: CurrentTenant, principal: CurrentPrincipal) -> AssetPublic:
    """An asset of the tenant, or one shared with it (``shared`` is then true), as the caller's role may
    see it: the renditions it reads, jobs with ``job:read``, the original's address with ``original:read``."""
    asset = get_asset(session, tenant, asset_id, shared=True)
    return AssetPublic.of(asset).seen_by(principal).model_copy(update={"shared": asset.tenant_id != tenant})


@router.patch(
    "/{asset_id}",
    response_model=AssetPublic,
    name="update_asset",
    responses=problems((403, "shared with the caller: read-only"), 404, 422),
    dependencies=[require("asset:edit")],
)
def describe(
    asset_id: str,
    body: AssetUpdate,
    session: SessionDep,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    actor: CurrentActor,
) -> AssetPublic:
    """Change the asset's description; the change (fields before and after) goes to the audit trail."""
    changes = AssetChanges(
        title=body.title, description=body.description, tags=body.tags, descriptive=body.descriptive()
    )
    return AssetPublic.of(update_asset(session, tenant, asset_id, changes, actor=actor)).seen_by(principal)


@router.delete(
    "/{asset_id}",
    response_model=AssetDeleted,
    name="delete_asset",
    responses=problems((403, "shared with the caller: only its owner deletes it"), 404, 503),
    dependencies=[require("asset:delete")],
)
def remove(asset_id: str, services: ServicesDep, tenant: CurrentTenant, actor: CurrentActor) -> AssetDeleted:
    """Delete the asset for good (a hard delete, no retention): its queued or running jobs are cancelled,
    then its files (original, renditions, analysis pictures, exports) and its rows (renditions, jobs,
    analysis, shots, spans, subtitles, search entries, shares) are removed; every URL of it answers 404."""
    return AssetDeleted.of(delete_asset(services, tenant, asset_id, actor=actor))


@router.get(
    "/{asset_id}/renditions/{profile}",
    response_class=Response,
    responses={
        200: _FILE,
        206: {"description": "the requested byte range"},
        307: {"description": "a presigned URL of the object store, or a folder rendition's master playlist"},
        **problems(400, 404, 416, 503),
    },
    dependencies=[Depends(require_rendition)],
)
def download_rendition(
    asset_id: str,
    profile: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
) -> Response:
    """The rendition's file (HTTP Range supported), or a folder rendition's master playlist. A download
    goes to the audit trail when it starts (a Range from byte 0 or none; a player's later ranges and a
    folder rendition's parts are not recorded one by one)."""
    rendition = get_rendition(session, tenant, asset_id, profile)
    if starts_download(request):
        details = {"profile": profile, "rendition_id": rendition.id, "range": request.headers.get("range")}
        record(session, actor, AuditAction.RENDITION_DOWNLOAD, target=asset_id, details=details)
        session.commit()
    known = services.profiles.get(profile)
    if known is not None and known.is_directory:
        master = rendition.storage_key.rsplit("/", 1)[1]
        return RedirectResponse(f"/api/v1/assets/{asset_id}/renditions/{profile}/{master}", status_code=307)
    asset = rendition.asset
    filename = f"{asset.title or asset.id}.{profile}{_suffix(rendition.storage_key)}"
    return serve_stored(services, rendition.storage_key, rendition.content_type, filename)


@router.get(
    "/{asset_id}/renditions/{profile}/{path:path}",
    response_class=Response,
    responses={200: _FILE, 206: {"description": "the requested byte range"}, **problems(400, 404, 416, 503)},
    dependencies=[Depends(require_rendition)],
)
def download_rendition_part(
    asset_id: str, profile: str, path: str, session: SessionDep, services: ServicesDep, tenant: CurrentTenant
) -> Response:
    """A file of a folder rendition (an HLS playlist, init segment or media segment)."""
    rendition = get_rendition(session, tenant, asset_id, profile)
    key = rendition_part_key(rendition.storage_key, path)  # NotFoundError for a path that could leave the folder
    if not services.storage.exists(key):
        raise NotFoundError(f"no {path[:80]!r} in the {profile} rendition of {asset_id}")
    return serve_stored(services, key, _PART_TYPES.get(Path(path).suffix, "application/octet-stream"), Path(path).name)


_PART_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment", ".mp4": "video/mp4"}


@router.post(
    "/{asset_id}/exports",
    status_code=202,
    response_model=JobPublic,
    responses=problems(
        (403, "shared with the caller: only its owner exports"),
        404,
        (422, "an invalid field, an unknown profile, or one that cannot be made from this asset"),
    ),
    dependencies=[require("job:request")],
)
def create_export(
    asset_id: str,
    body: ExportCreate,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
) -> JobPublic:
    """Queue a frame-accurate sub-clip export; fetch it from ``/api/v1/jobs/{id}/output`` when done.

    The profile and the in/out points are checked at once: an unknown profile, one this asset cannot feed,
    a timecode no clock shows (``10:00:99:00``), an in-point not before the out-point or a span outside
    the source is a 422 whose detail gives the valid range; nothing is queued."""
    job = request_export(
        services, session, tenant, asset_id, body.profile, body.start, body.end, actor=actor, lane=body.lane
    )
    return JobPublic.of(job)


_QUEUED: dict[int | str, dict[str, Any]] = {
    202: {"description": "a job was queued for the profiles the asset lacked", "model": RenditionsRequested},
    200: {"description": "every profile asked for is made or on its way: nothing queued", "model": RenditionsRequested},
}


def _requested(asked: RenditionRequest) -> JSONResponse:
    body = RenditionsRequested.of(asked).model_dump(mode="json")
    return JSONResponse(body, status_code=202 if asked.job is not None else 200)


@router.post(
    "/{asset_id}/renditions",
    status_code=202,
    response_model=RenditionsRequested,
    name="request_renditions",
    responses={
        **_QUEUED,
        **problems(
            (403, "shared with the caller: only its owner asks for renditions"),
            404,
            (422, "an unknown profile, or one that cannot be made from this asset"),
        ),
    },
    dependencies=[require("job:request")],
)
def request_more_renditions(
    asset_id: str,
    body: RenditionsCreate,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
) -> JSONResponse:
    """Make more renditions of an asset later (e.g. ``vertical`` for a story that goes to short video):
    only the profiles neither made nor already queued get a job."""
    return _requested(
        request_renditions(services, session, tenant, asset_id, body.profiles, actor=actor, lane=body.lane)
    )


@router.post(
    "/{asset_id}/retry",
    status_code=202,
    response_model=RenditionsRequested,
    name="retry_asset",
    responses={
        **_QUEUED,
        **problems(
            (403, "shared with the caller: only its owner retries it"),
            404,
            (409, "no render of the asset failed or was cancelled"),
            (422, "an invalid body (a lane other than urgent, normal or bulk)"),
        ),
    },
    dependencies=[require("job:request")],
)
def retry(
    asset_id: str,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
    body: RetryCreate | None = None,
) -> JSONResponse:
    """Ask again for what the asset's failed or cancelled render jobs were to make (a new job, for the
    profiles still missing; the failed job keeps its reason). The body may name the lane."""
    lane = body.lane if body is not None else None
    return _requested(retry_asset(services, session, tenant, asset_id, actor=actor, lane=lane))


def _suffix(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name[name.rfind(".") :] if "." in name else ""
