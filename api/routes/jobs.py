"""/api/v1/jobs: follow a job's state and progress, or cancel it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.deps import CurrentTenant, ServicesDep, SessionDep
from api.schemas import JobPublic
from mam.catalog import cancel_job, get_job
from mam.errors import ConflictError, StorageNotFoundError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobPublic)
def read(job_id: str, session: SessionDep, tenant: CurrentTenant) -> JobPublic:
    return JobPublic.of(get_job(session, tenant, job_id))


@router.post(
    "/{job_id}/cancel", response_model=JobPublic, responses={409: {"description": "the job has already ended"}}
)
def cancel(job_id: str, session: SessionDep, tenant: CurrentTenant) -> JobPublic:
    """Cancel a queued or running job: a running render stops within about a second."""
    return JobPublic.of(cancel_job(session, tenant, job_id))


@router.get(
    "/{job_id}/output",
    responses={
        307: {"description": "a presigned URL of the object store"},
        409: {"description": "the job has not made an output (yet)"},
    },
)
def output(job_id: str, session: SessionDep, services: ServicesDep, tenant: CurrentTenant) -> Response:
    """The file an export job made (HTTP Range supported)."""
    job = get_job(session, tenant, job_id)
    made = job.result.get("output") if job.state == "done" else None
    if not made:
        raise ConflictError(f"job {job_id} is {job.state} and has no output to download")
    filename = f"{job.asset.title or job.asset_id}.{made['profile']}{Path(made['key']).suffix}"
    local = services.storage.local_path(made["key"])
    if local is not None:
        return FileResponse(local, media_type=made["content_type"], filename=filename)
    url = services.storage.presigned_url(made["key"], services.settings.presign_seconds, filename)
    if url is None:
        raise StorageNotFoundError(f"the output of job {job_id} is not in the store")
    return RedirectResponse(url, status_code=307)
