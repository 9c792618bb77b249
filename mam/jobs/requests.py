"""Asking for work: an asset with its render job, renditions asked for later, a sub-clip export, a retry.

Written once and called by the API, the CLI, watch folders and ingest alike: every request is checked
here (profiles through :func:`mam.jobs.profiles.resolve_profiles`, an export's span against the
source) before a job row is written, and the job is handed to the broker once it is committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mam.audit import Actor, AuditAction, record
from mam.catalog import get_asset, rendered_profiles
from mam.errors import ConflictError, JobRequestError, Param
from mam.events import EventType, emit_asset, emit_job
from mam.jobs.lanes import parse_lane
from mam.jobs.profiles import resolve_profiles
from mam.models import Asset, AssetStatus, Job, JobState, new_id
from mam.services import Services
from transcode.errors import SpanError
from transcode.mediainfo import MediaInfo
from transcode.plan import make_span, standard_rate
from transcode.profiles import Profile
from transcode.timecode import format_frames, parse_timecode

__all__ = [
    "RenditionRequest",
    "create_asset_with_job",
    "profiles_for_job",
    "queue_renditions",
    "request_export",
    "request_renditions",
    "retry_asset",
]

_ACTIVE = (JobState.QUEUED, JobState.RUNNING)
_ENDED_BADLY = (JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class RenditionRequest:
    """What asking an asset for renditions did."""

    asset: Asset
    job: Job | None
    """The job queued for what was missing; None when nothing was."""
    queued: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    """Asked for and already made from the asset's current original."""
    pending: tuple[str, ...] = ()
    """Asked for and already in a queued or running job."""
    skipped: tuple[str, ...] = ()
    """Not made for this kind of media (only for profiles no one chose for this file)."""


def create_asset_with_job(
    session: Session, asset: Asset, profiles: Sequence[str], *, actor: Actor | None = None, lane: str | None = None
) -> Job | None:
    """Insert the asset and, if there is anything to render, its job (in ``lane``, default normal), in one
    transaction (with ``actor``, and the upload's audit entry).

    Raises IntegrityError if the tenant already holds the same content (the caller dedupes).
    """
    session.add(asset)
    job = None
    if profiles:
        job = Job(id=new_id(), asset=asset, profiles=list(profiles), lane=parse_lane(lane).value)
        session.add(job)
    else:
        asset.status = AssetStatus.READY
    if actor is not None:
        upload = {"filename": asset.original_filename, "size": asset.size, "sha256": asset.sha256}
        details = {**upload, "duplicate": False, "profiles": list(profiles), "job_id": job.id if job else None}
        record(session, actor, AuditAction.ASSET_UPLOAD, target=asset.id, details=details)
    emit_asset(session, EventType.ASSET_CREATED, asset)
    if job is not None:
        emit_job(session, EventType.JOB_QUEUED, job)
    session.commit()
    return job


def queue_renditions(
    services: Services,
    session: Session,
    asset: Asset,
    wanted: Sequence[str],
    skipped: Sequence[str] = (),
    *,
    audit: tuple[Actor, AuditAction, Mapping[str, Any]] | None = None,
    lane: str | None = None,
) -> RenditionRequest:
    """Queue one render job (in ``lane``, default normal) for the ``wanted`` profiles (names already
    resolved) that are neither made from the asset's current original nor already in a queued or
    running job.

    ``audit``: who asked, as what action, with what facts: recorded (with what was queued) in the commit."""
    present = rendered_profiles(session, asset)
    pending = {p for j in asset.jobs if j.kind == "render" and j.state in _ACTIVE for p in j.profiles}
    missing = [p for p in wanted if p not in present and p not in pending]
    job = None
    if missing:
        job = Job(id=new_id(), asset=asset, profiles=missing, lane=parse_lane(lane).value)
        session.add(job)
        if asset.status == AssetStatus.FAILED:
            asset.status, asset.error = AssetStatus.PROCESSING, None
    asked = RenditionRequest(
        asset,
        job,
        tuple(missing),
        tuple(p for p in wanted if p in present),
        tuple(p for p in wanted if p in pending and p not in present),
        tuple(skipped),
    )
    if audit is not None:
        actor, action, facts = audit
        queued = {"job_id": job.id if job else None, "queued": missing, "present": list(asked.present)}
        record(session, actor, action, target=asset.id, details={**facts, **queued, "pending": list(asked.pending)})
    if job is not None:
        emit_job(session, EventType.JOB_QUEUED, job)
    if missing or audit is not None:
        session.commit()
    if job is not None:
        services.enqueue(job.id)
    return asked


def request_renditions(
    services: Services,
    session: Session,
    tenant_id: str,
    asset_id: str,
    names: Sequence[str] | None,
    *,
    where_applicable: bool = False,
    actor: Actor | None = None,
    lane: str | None = None,
) -> RenditionRequest:
    """Queue the renditions of ``names`` the tenant's asset lacks (made or on their way already: left be).

    :class:`JobRequestError` for an unknown profile or one this asset cannot feed, before anything is queued;
    ``names=None`` asks for the default profiles, where they apply. With ``actor``, the request is recorded
    in the audit trail."""
    asset = get_asset(session, tenant_id, asset_id)
    choice = resolve_profiles(
        services, names, MediaInfo.model_validate(asset.mediainfo), where_applicable=where_applicable
    )
    audit = (actor, AuditAction.RENDITIONS_REQUEST, {"profiles": list(choice.names)}) if actor else None
    return queue_renditions(services, session, asset, choice.names, choice.skipped, audit=audit, lane=lane)


def retry_asset(
    services: Services,
    session: Session,
    tenant_id: str,
    asset_id: str,
    *,
    actor: Actor | None = None,
    lane: str | None = None,
) -> RenditionRequest:
    """Ask again for what the asset's failed or cancelled render jobs were to make (and is still missing).

    :class:`ConflictError` when no render job of the asset failed or was cancelled. With ``actor``, recorded
    in the audit trail as a renditions request (``retry``)."""
    asset = get_asset(session, tenant_id, asset_id)
    ended = [j for j in asset.jobs if j.kind == "render" and j.state in _ENDED_BADLY]
    if not ended:
        raise ConflictError(f"asset {asset_id} has no failed or cancelled render to retry", code="nothing-to-retry")
    names = list(dict.fromkeys(p for j in ended for p in j.profiles if p in services.profiles))
    audit = (actor, AuditAction.RENDITIONS_REQUEST, {"profiles": names, "retry": True}) if actor else None
    return queue_renditions(services, session, asset, names, audit=audit, lane=lane)


def request_export(
    services: Services,
    session: Session,
    tenant_id: str,
    asset_id: str,
    profile: str,
    start: float | str | None = None,
    end: float | str | None = None,
    *,
    actor: Actor | None = None,
    lane: str | None = None,
) -> Job:
    """Queue a frame-accurate sub-clip export of the tenant's asset with one profile.

    Refused before anything is queued (:class:`JobRequestError`) for an unknown profile, one this asset
    cannot feed, or in/out points that are malformed, reversed or outside the source (the message gives
    the valid range). ``start``/``end``: seconds, or ``HH:MM:SS:FF`` in the source's own timecode."""
    asset = get_asset(session, tenant_id, asset_id)
    info = MediaInfo.model_validate(asset.mediainfo)
    chosen = resolve_profiles(services, [profile], info).profiles[0]
    try:
        make_span(info, start, end)
    except SpanError as exc:
        raise _span_refused(info, exc) from exc
    asked = {"request": {"start": start, "end": end}}
    job = Job(
        id=new_id(), asset=asset, kind="export", profiles=[chosen.name], result=asked, lane=parse_lane(lane).value
    )
    session.add(job)
    if actor is not None:
        details = {"job_id": job.id, "profile": chosen.name, "start": start, "end": end}
        record(session, actor, AuditAction.EXPORT_REQUEST, target=asset.id, details=details)
    emit_job(session, EventType.JOB_QUEUED, job)
    session.commit()
    services.enqueue(job.id)
    return job


def profiles_for_job(session: Session, available: Mapping[str, Profile], job: Job) -> list[Profile]:
    """The profiles a worker is to make for ``job``: its names (checked when it was asked for) looked up,
    less, for a render, those already made from the asset's current original.

    :class:`JobRequestError` if a profile was removed from the profiles folder since the request."""
    done = rendered_profiles(session, job.asset) if job.kind == "render" else set()
    return [p for p in resolve_profiles(available, job.profiles).profiles if p.name not in done]


def _span_refused(info: MediaInfo, exc: SpanError) -> JobRequestError:
    """The refusal of an export's in/out points, with the source's valid range as params: 0 to ``duration``
    seconds, and ``first_tc`` to ``last_tc`` in its own timecode (empty without one)."""
    said = str(exc)
    if "must come before the out-point" in said:
        code = "span-reversed"
    elif "not inside the source" in said or "not a point in the source" in said or "before the clip's first" in said:
        code = "span-outside"
    else:
        code = "span-malformed"
    base = max(1, round(standard_rate(info.video[0].frame_rate))) if info.video else 25
    first = last = ""
    if info.start_timecode:
        try:
            origin = parse_timecode(info.start_timecode, base, strict=True).frames
        except SpanError:
            pass
        else:
            first = format_frames(origin, base)
            last = format_frames(origin + round(info.duration * base), base)
    params: dict[str, Param] = {"duration": round(info.duration, 3), "first_tc": first, "last_tc": last}
    return JobRequestError(said, code=code, params=params)
