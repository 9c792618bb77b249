"""/api/v1/assets/{id}/original: the file as it was ingested, for roles that read originals."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.actor import CurrentActor
from api.authz import require
from api.deps import CurrentTenant, ServicesDep, SessionDep
from api.errors import problems
from api.files import serve_stored, starts_download
from mam.audit import AuditAction, record
from mam.catalog import get_asset

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])

_FILE = {"description": "the original file", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}


@router.get(
    "/{asset_id}/original",
    response_class=Response,
    name="download_original",
    responses={
        200: _FILE,
        206: {"description": "the requested byte range"},
        307: {"description": "a presigned URL of the object store"},
        **problems((403, "the caller's role does not read originals (original:read)"), 404, 416, 503),
    },
    dependencies=[require("original:read")],
)
def download_original(
    asset_id: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
) -> Response:
    """The original file of an asset of the tenant, or of one shared with it (HTTP Range supported), under
    the name it was ingested with. A download goes to the audit trail when it starts; of a shared asset,
    to the owner's trail as well."""
    asset = get_asset(session, tenant, asset_id, shared=True)
    if starts_download(request):
        details = {"filename": asset.original_filename, "range": request.headers.get("range")}
        owner = asset.tenant_id  # the caller's trail, and the owner's when another's asset is shared with it
        record(session, actor, AuditAction.ORIGINAL_DOWNLOAD, target=asset.id, details=details, tenant_id=owner)
        session.commit()
    content_type = asset.content_type or "application/octet-stream"
    return serve_stored(services, asset.original_key, content_type, asset.original_filename)
