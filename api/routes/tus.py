"""/api/v1/uploads: resumable uploads over tus 1.0.0 (creation, creation-with-upload, termination,
checksum, expiration), for tus-js-client in browsers and tuspy. The work is done by :mod:`mam.tus`.

An unfinished upload answers with ``Upload-Expires``: ``MAM_UPLOAD_EXPIRY_HOURS`` after its last
bytes; after that it answers 410 and the janitor removes its bytes.

When the last byte arrives the upload is ingested, and the final ``PATCH`` (and any later ``HEAD``)
answers with ``Mam-Asset-Id``, ``Mam-Asset-Location`` (``/api/v1/assets/<id>``) and
``Mam-Asset-Duplicate`` (``true`` if the tenant already had the same content).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from api.actor import CurrentActor
from api.authz import public, require
from api.deps import CurrentTenant, ServicesDep
from api.errors import error_response, problem_response, problems
from mam.audit import Actor
from mam.errors import MamError
from mam.tus import (
    CHECKSUM_ALGORITHMS,
    BadUploadRequestError,
    UploadInfo,
    UploadStore,
    complete_upload,
    encode_metadata,
    http_date,
    parse_checksum,
    parse_metadata,
)
from mam.tus.complete import check_creation

__all__ = ["router"]

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration"
OCTETS = "application/offset+octet-stream"
# CORS (browsers on other origins: MAM_CORS_ORIGINS only, the tus headers exposed) is api/security.py's.


class TusRoute(APIRoute):
    """Every answer carries Tus-Resumable (CORS: :mod:`api.security`); errors are problem details with their tus status
    (412 without ``Tus-Resumable: 1.0.0``, 413, 460, 423, 400: the statuses are in :mod:`api.errors`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if request.method != "OPTIONS" and request.headers.get("tus-resumable") != VERSION:
                response: Response = problem_response(
                    412, f"Tus-Resumable: {VERSION} is required", headers={"Tus-Version": VERSION}
                )
            else:
                try:
                    response = await handler(request)
                except MamError as exc:
                    response = error_response(exc)
            response.headers["Tus-Resumable"] = VERSION
            return response

        return handle


router = APIRouter(
    prefix="/api/v1/uploads", tags=["uploads"], route_class=TusRoute, default_response_class=Response
)  # tus answers carry headers, not a body


def get_store(services: ServicesDep) -> UploadStore:
    return UploadStore.of(services.settings)


StoreDep = Annotated[UploadStore, Depends(get_store)]


def _tus_headers(*required: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    """The headers a tus request must carry, for OpenAPI (the handlers read them from the request):
    Tus-Resumable on every request but OPTIONS (checked by :class:`TusRoute`), and ``required``."""
    version = ("Tus-Resumable", {"type": "string", "enum": [VERSION]}, "the tus protocol version; 412 without it")
    return {
        "parameters": [
            {"name": name, "in": "header", "required": True, "schema": schema, "description": description}
            for name, schema, description in (version, *required)
        ]
    }


_BYTES = {"type": "string", "pattern": "^[0-9]{1,19}$"}


def _whole(request: Request, name: str) -> int | None:
    text = request.headers.get(name)
    if text is None:
        return None
    if not text.isdigit():
        raise BadUploadRequestError(f"{name} must be a whole number of bytes, not {text!r}")
    return int(text)


def _state(info: UploadInfo) -> dict[str, str]:
    headers = {"Upload-Offset": str(info.offset), "Upload-Length": str(info.length), "Cache-Control": "no-store"}
    if info.asset_id is not None:
        headers["Mam-Asset-Id"] = info.asset_id
        headers["Mam-Asset-Location"] = f"/api/v1/assets/{info.asset_id}"
        headers["Mam-Asset-Duplicate"] = "true" if info.duplicate else "false"
    elif info.expires_at is not None:
        headers["Upload-Expires"] = http_date(info.expires_at)
    return headers


async def _append(
    request: Request, services: ServicesDep, store: UploadStore, info: UploadInfo, offset: int | None, actor: Actor
) -> UploadInfo:
    """Stream the body onto the upload at ``offset``; ingest it if that was the last byte (``actor``'s upload)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != OCTETS:
        raise BadUploadRequestError(f"Content-Type must be {OCTETS}")
    if offset is None:
        raise BadUploadRequestError("Upload-Offset is required")
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    with store.patch(info, offset, checksum, _whole(request, "content-length")) as writer:
        try:
            async for chunk in request.stream():
                writer.write(chunk)
        except ClientDisconnect:
            return info  # the bytes that arrived are kept (unless a checksum could not be verified)
        writer.commit()
    if info.complete:
        info = await run_in_threadpool(complete_upload, services, store, info, actor=actor)
    return info


_CREATE = [require("asset:create")]
"""Every upload request but a CORS preflight: an upload is made, resumed or abandoned to ingest."""


@router.options("", status_code=204, name="get_tus_options", dependencies=[Depends(public)])
def options(services: ServicesDep) -> Response:
    """What this server supports (a browser's CORS preflight is answered by the CORS middleware)."""
    return Response(
        status_code=204,
        headers={
            "Tus-Version": VERSION,
            "Tus-Extension": EXTENSIONS,
            "Tus-Max-Size": str(services.settings.max_upload_bytes),
            "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
        },
    )


@router.options("/{upload_id}", status_code=204, name="get_tus_options_for_upload", dependencies=[Depends(public)])
def upload_options(upload_id: str, services: ServicesDep) -> Response:
    """The same as ``OPTIONS /api/v1/uploads``."""
    return options(services)


@router.post(
    "",
    status_code=201,
    name="create_upload",
    responses=problems(400, 404, 412, 413, 422, 431, 460, 503),
    openapi_extra=_tus_headers(("Upload-Length", _BYTES, "the size of the whole file, in bytes")),
    dependencies=_CREATE,
)
async def create(
    request: Request, services: ServicesDep, store: StoreDep, tenant: CurrentTenant, actor: CurrentActor
) -> Response:
    """Start an upload: Upload-Length (refused with 413 over MAM_MAX_UPLOAD_MB) and Upload-Metadata
    (``filename``, ``title``, ``description``, ``tags``, ``profiles``, ``lane``, ``sha256``)."""
    length = _whole(request, "upload-length")
    if length is None:
        raise BadUploadRequestError("Upload-Length is required (Upload-Defer-Length is not supported)")
    metadata = parse_metadata(request.headers.get("upload-metadata"))
    check_creation(services, metadata)  # an unknown profile: 422 now, not after the whole upload
    info = store.create(tenant, length, metadata)
    if request.headers.get("content-type", "").startswith(OCTETS):  # creation-with-upload
        info = await _append(request, services, store, info, 0, actor)
    headers = {"Location": f"{request.url.path.rstrip('/')}/{info.id}", **_state(info)}
    return Response(status_code=201, headers=headers)


@router.head(
    "/{upload_id}",
    name="get_upload_offset",
    responses=problems(404, 410, 412, 422, 503),
    openapi_extra=_tus_headers(),
    dependencies=_CREATE,
)
async def status(
    upload_id: str, services: ServicesDep, store: StoreDep, tenant: CurrentTenant, actor: CurrentActor
) -> Response:
    """Where the upload stands (Upload-Offset), to resume after a dropped connection."""
    info = store.get(tenant, upload_id)
    if info.complete and info.asset_id is None:  # the last bytes arrived but the server stopped
        info = await run_in_threadpool(complete_upload, services, store, info, actor=actor)
    headers = _state(info)
    if info.metadata:
        headers["Upload-Metadata"] = encode_metadata(info.metadata)
    return Response(status_code=200, headers=headers)


@router.patch(
    "/{upload_id}",
    status_code=204,
    name="append_to_upload",
    responses=problems(400, 404, 409, 410, 412, 413, 422, 423, 460, 503),
    openapi_extra=_tus_headers(("Upload-Offset", _BYTES, "where the body goes: the bytes the server holds")),
    dependencies=_CREATE,
)
async def append(
    upload_id: str,
    request: Request,
    services: ServicesDep,
    store: StoreDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
) -> Response:
    """Append the body at Upload-Offset (409 if that is not where the upload stands; 460 if the
    Upload-Checksum does not match). The last byte makes the upload an asset."""
    info = store.get(tenant, upload_id)
    info = await _append(request, services, store, info, _whole(request, "upload-offset"), actor)
    return Response(status_code=204, headers=_state(info))


@router.delete(
    "/{upload_id}",
    status_code=204,
    name="terminate_upload",
    responses=problems(404, 410, 412, 423, 503),
    openapi_extra=_tus_headers(),
    dependencies=_CREATE,
)
def terminate(upload_id: str, store: StoreDep, tenant: CurrentTenant) -> Response:
    """Abandon the upload and free its space (an asset already made from it stays)."""
    store.terminate(store.get(tenant, upload_id))
    return Response(status_code=204)


@router.post(
    "/{upload_id}",
    status_code=204,
    name="override_upload_method",
    responses=problems(400, 404, 409, 410, 412, 413, 422, 423, 460, 503),
    openapi_extra=_tus_headers(
        ("X-HTTP-Method-Override", {"type": "string", "enum": ["PATCH", "DELETE", "HEAD"]}, "the method meant")
    ),
    dependencies=_CREATE,
)
async def overridden(
    upload_id: str,
    request: Request,
    services: ServicesDep,
    store: StoreDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
) -> Response:
    """``X-HTTP-Method-Override: PATCH|DELETE|HEAD`` for clients behind proxies that drop them."""
    method = request.headers.get("x-http-method-override", "").upper()
    if method == "PATCH":
        return await append(upload_id, request, services, store, tenant, actor)
    if method == "DELETE":
        return terminate(upload_id, store, tenant)
    if method == "HEAD":
        return await status(upload_id, services, store, tenant, actor)
    raise BadUploadRequestError("POST to an upload needs X-HTTP-Method-Override: PATCH, DELETE or HEAD")
