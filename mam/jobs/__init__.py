"""Jobs: the one home of work on an asset (asking for it, claiming it, its progress and its end).

``profiles`` turns profile names into profiles and checks them (for every entry and the worker);
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
from mam.jobs.profiles import ProfileChoice, resolve_profiles
from mam.jobs.requests import (
    RenditionRequest,
    create_asset_with_job,
    profiles_for_job,
    queue_renditions,
    request_export,
    request_renditions,
    retry_asset,
)

__all__ = [
    "ProfileChoice",
    "RenditionRequest",
    "cancel_job",
    "claim_job",
    "complete_job",
    "create_asset_with_job",
    "fail_job",
    "get_job",
    "jobs_to_resend",
    "profiles_for_job",
    "queue_renditions",
    "release_job",
    "request_export",
    "request_renditions",
    "resolve_profiles",
    "retry_asset",
    "set_job_progress",
]
