"""/api/v1/jobs: list the tenant's jobs, follow one's state and progress, or cancel it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.actor import CurrentActor
from api.auth import CurrentPrincipal
from api.authz import require
from api.deps import CurrentTenant, ServicesDep, SessionDep
from api.errors import ProblemFileResponse, problems
from mam.audit import AuditAction, record
from mam.errors import ConflictError, StorageNotFoundError
from mam.identity.access import authorize_rendition
from mam.jobs import cancel_job, get_job
from mam.jobs.queries import list_jobs
from mam.models import JobLane, JobState
from mam.public import JobList, JobPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get(
    "", response_model=JobList, name="list_jobs", responses=problems(404, 422), dependencies=[require("job:read")]
)
def list_all(
    session: SessionDep,
    tenant: CurrentTenant,
    state: Annotated[list[JobState] | None, Query(description="only jobs in this state (repeat for several)")] = None,
    asset_id: Annotated[str | None, Query(description="only this asset's jobs")] = None,
    lane: Annotated[list[JobLane] | None, Query(description="only jobs in this lane (repeat for several)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JobList:
    """The jobs on the tenant's own assets, newest first, a page at a time (``total`` counts every page)."""
    page = list_jobs(
        session, tenant, states=state or (), asset_id=asset_id, limit=limit, offset=offset, lanes=lane or ()
    )
    return JobList.of(page)


@router.get(
    "/{job_id}", response_model=JobPublic, name="get_job", responses=problems(404), dependencies=[require("job:read")]
)
def read(job_id: str, session: SessionDep, tenant: CurrentTenant) -> JobPublic:
    return JobPublic.of(get_job(session, tenant, job_id))


@router.post(
    "/{job_id}/cancel",
    response_model=JobPublic,
    name="cancel_job",
    responses=problems(404, (409, "the job has already ended")),
    dependencies=[require("job:cancel")],
)
def cancel(job_id: str, session: SessionDep, tenant: CurrentTenant) -> JobPublic:
    """Cancel a queued or running job: a running render stops within about a second."""
    return JobPublic.of(cancel_job(session, tenant, job_id))


@router.get(
    "/{job_id}/output",
    response_class=Response,
    responses={
        200: {"description": "the file", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
        206: {"description": "the requested byte range"},
        307: {"description": "a presigned URL of the object store"},
        **problems(400, 404, (409, "the job has not made an output (yet)"), 416, 503),
    },
    dependencies=[require("job:read")],
)
def download_job_output(
    job_id: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    tenant: CurrentTenant,
    actor: CurrentActor,
    principal: CurrentPrincipal,
) -> Response:
    """The file an export job made (HTTP Range supported); the download's start goes to the audit trail."""
    job = get_job(session, tenant, job_id)
    made = job.result.get("output") if job.state == "done" else None
    if not made:
        raise ConflictError(
            f"job {job_id} is {job.state} and has no output to download",
            code="job-no-output",
            params={"state": job.state},
        )
    authorize_rendition(principal, made["profile"])  # an export of broadcast_hd is a broadcast rendition
    asked = request.headers.get("range", "").replace(" ", "").lower()
    if not asked or asked.startswith("bytes=0-"):  # not a player's later range
        details = {"job_id": job.id, "profile": made["profile"], "range": request.headers.get("range")}
        record(session, actor, AuditAction.EXPORT_DOWNLOAD, target=job.asset_id, details=details)
        session.commit()
    filename = f"{job.asset.title or job.asset_id}.{made['profile']}{Path(made['key']).suffix}"
    local = services.storage.local_path(made["key"])
    if local is not None:
        return ProblemFileResponse(local, media_type=made["content_type"], filename=filename)
    url = services.storage.presigned_url(made["key"], services.settings.presign_seconds, filename)
    if url is None:
        raise StorageNotFoundError(f"the output of job {job_id} is not in the store")
    return RedirectResponse(url, status_code=307)
