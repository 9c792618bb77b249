"""Jobs: the one home of work on an asset (asking for it, claiming it, its progress and its end).

``profiles`` turns profile names into profiles and checks them (for every entry and the worker);
``requests`` holds what callers (API, CLI, watch folders) ask for; ``policy`` when a job may be
taken up and how often it is tried; ``lifecycle`` the state changes a worker makes; ``sending``
what to hand the broker again; ``attempts`` one attempt with its lease (import it from there).
The catalog (:mod:`mam.catalog`) keeps assets and renditions; this package keeps jobs.
"""

from mam.jobs.lifecycle import (
    cancel_job,
    claim_job,
    complete_job,
    end_failed_attempt,
    fail_job,
    get_job,
    give_up_abandoned,
    renew_lease,
    set_job_progress,
)
from mam.jobs.policy import JobPolicy, claimable
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
from mam.jobs.sending import Unsent, jobs_to_send, record_sent, take_send

__all__ = [
    "JobPolicy",
    "ProfileChoice",
    "RenditionRequest",
    "Unsent",
    "cancel_job",
    "claim_job",
    "claimable",
    "complete_job",
    "create_asset_with_job",
    "end_failed_attempt",
    "fail_job",
    "get_job",
    "give_up_abandoned",
    "jobs_to_send",
    "profiles_for_job",
    "queue_renditions",
    "record_sent",
    "renew_lease",
    "request_export",
    "request_renditions",
    "resolve_profiles",
    "retry_asset",
    "set_job_progress",
    "take_send",
]
