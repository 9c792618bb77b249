"""Jobs: the one home of work on an asset (asking for it, claiming it, its progress and its end).

``requests`` holds what callers (API, CLI, watch folders) ask for; ``lifecycle`` the state changes
a worker makes. The catalog (:mod:`mam.catalog`) keeps assets and renditions; this package keeps jobs.
"""

from mam.jobs.lifecycle import (
    cancel_job,
    claim_job,
    complete_job,
    fail_job,
    get_job,
    jobs_to_resend,
    release_job,
    set_job_progress,
)
from mam.jobs.requests import create_asset_with_job, create_export_job

__all__ = [
    "cancel_job",
    "claim_job",
    "complete_job",
    "create_asset_with_job",
    "create_export_job",
    "fail_job",
    "get_job",
    "jobs_to_resend",
    "release_job",
    "set_job_progress",
]
