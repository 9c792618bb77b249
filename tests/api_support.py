"""What API tests do again and again: upload a file through the multipart route, wait for a job to end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient


def upload(client: TestClient, path: Path, name: str | None = None, **fields: str) -> Any:
    """POST the file (as ``name``, default its own) with form ``fields``; the raw response."""
    with path.open("rb") as handle:
        return client.post("/api/v1/assets", files={"file": (name or path.name, handle)}, data=fields)


def wait_job(
    client: TestClient, job_id: str, timeout: float = 120.0, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The job's representation once it has ended (done, failed or cancelled)."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job.get("state") in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end in {timeout} s: {job}")
