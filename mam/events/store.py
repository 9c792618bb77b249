"""Writing events in the caller's transaction, and reading them back in order.

:func:`emit` adds the event (one row per tenant that sees it) to the session of the change it tells
of, so the change and its event commit together or not at all. Ids must commit in their order, or a
stream resumed after id N could miss an event N-1 still in flight: appends are serialised, on
PostgreSQL by a transaction-scoped advisory lock, on SQLite by the database's own write lock. Call it
as the last write before the commit (after the audit trail's :func:`~mam.audit.record`, whose lock
comes first): the lock is held until then.

On PostgreSQL the same transaction sends ``NOTIFY mam_events`` (delivered at commit, and only if it
commits), which wakes every API process's :class:`~mam.events.bus.EventBus`. The session notes that it
emitted (``session.info``), and :func:`on_events_committed` calls back after such a commit, for the
listeners of this process (the embedded default has no NOTIFY).

An event also creates a pending delivery for each of the tenant's active webhooks that asked for its
type (an endpoint with no types gets every type but ``job.progress``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from mam.events.types import EventType
from mam.models import Asset, Event, Job, Rendition, Share, WebhookDelivery, WebhookEndpoint, utcnow

__all__ = [
    "CHANNEL",
    "PROGRESS_EVENT_SECONDS",
    "asset_audience",
    "emit",
    "emit_asset",
    "emit_job",
    "emit_job_progress",
    "emit_renditions",
    "emit_share",
    "events_after",
    "latest_event_id",
    "on_events_committed",
    "prune_events",
]

CHANNEL = "mam_events"
"""The PostgreSQL NOTIFY channel; the payload is the event's id."""
PROGRESS_EVENT_SECONDS = 1.0
"""At most one ``job.progress`` event per job this often (a render reports progress twice a second)."""

_PG_EVENTS_LOCK = 0x6D616D_E7E1
_EMITTED = "mam_events_emitted"
_progress_lock = threading.Lock()
_progress_last: dict[str, float] = {}


def _serialise(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_EVENTS_LOCK})


def _wanted(types: Sequence[str], type_: str) -> bool:
    return type_ in types if types else type_ != EventType.JOB_PROGRESS


def emit(
    session: Session,
    type_: EventType,
    tenant_id: str,
    subject: str,
    payload: Mapping[str, Any],
    *,
    also_to: Iterable[str] = (),
) -> list[int]:
    """Add the event for ``tenant_id`` (and a copy for each tenant of ``also_to``) to the session's
    transaction, with the deliveries to the webhooks that want it; returns the events' ids. Not committed."""
    tenants = list(dict.fromkeys([tenant_id, *also_to]))
    _serialise(session)
    now = utcnow()
    ids: list[int] = []
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.tenant_id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.tenant_id.in_(tenants), WebhookEndpoint.active.is_(True)
        )
    ).all()
    for tenant in tenants:
        values = {"tenant_id": tenant, "type": str(type_), "subject": subject, "payload": dict(payload)}
        event_id = session.execute(insert(Event).values(**values, created_at=now).returning(Event.id)).scalar_one()
        ids.append(event_id)
        for endpoint_id, owner, types in endpoints:
            if owner == tenant and _wanted(types or [], type_):
                session.add(WebhookDelivery(endpoint_id=endpoint_id, event_id=event_id, next_attempt_at=now))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": CHANNEL, "id": str(ids[-1])})
    session.info[_EMITTED] = True
    return ids


def asset_audience(session: Session, asset_id: str) -> list[str]:
    """The tenants the asset is shared with: they see its changes too (not its jobs)."""
    return list(session.scalars(select(Share.tenant_id).where(Share.asset_id == asset_id)))


def _asset_payload(asset: Asset, changed: str | None) -> dict[str, Any]:
    return {
        "asset_id": asset.id,
        "owner": asset.tenant_id,
        "title": asset.title,
        "status": asset.status,
        "media_kind": asset.media_kind,
        **({"changed": changed} if changed else {}),
    }


def emit_asset(session: Session, type_: EventType, asset: Asset, *, changed: str | None = None) -> list[int]:
    """``asset.created`` / ``asset.updated`` / ``asset.deleted``: to the owner and the tenants it is shared with.

    ``changed`` names what changed inside the asset when it is not its description (``spans``,
    ``subtitles``): a client showing that part fetches it again."""
    session.flush()
    audience = asset_audience(session, asset.id)
    return emit(session, type_, asset.tenant_id, asset.id, _asset_payload(asset, changed), also_to=audience)


def _job_payload(job: Job) -> dict[str, Any]:
    result = job.result or {}
    return {
        "job_id": job.id,
        "asset_id": job.asset_id,
        "kind": job.kind,
        "profiles": list(job.profiles),
        "lane": job.lane,
        "state": job.state,
        "progress": job.progress,
        "attempts": job.attempts,
        "error": job.error,
        **({"fps": result.get("fps"), "eta_seconds": result.get("eta_seconds")} if job.state == "running" else {}),
    }


def emit_job(session: Session, type_: EventType, job: Job) -> list[int]:
    """``job.*``: to the owner of the job's asset only."""
    session.flush()
    return emit(session, type_, job.asset.tenant_id, job.id, _job_payload(job))


def emit_job_progress(session: Session, job_id: str, *, final: bool = False) -> list[int]:
    """``job.progress`` for a running job, at most once per :data:`PROGRESS_EVENT_SECONDS` per job in
    this process (``final``: whatever the time). Commits: the progress is committed already."""
    now = time.monotonic()
    with _progress_lock:
        if not final and now - _progress_last.get(job_id, 0.0) < PROGRESS_EVENT_SECONDS:
            return []
        _progress_last[job_id] = now
        if len(_progress_last) > 10_000:  # jobs that ended: forget the oldest half
            for stale in sorted(_progress_last, key=_progress_last.__getitem__)[:5000]:
                del _progress_last[stale]
    job = session.get(Job, job_id, populate_existing=True)
    if job is None or job.state != "running":
        return []
    ids = emit_job(session, EventType.JOB_PROGRESS, job)
    session.commit()
    return ids


def emit_renditions(session: Session, job: Job, renditions: Sequence[Rendition]) -> list[int]:
    """``rendition.ready`` for each rendition the job registered: to the owner and the tenants the asset
    is shared with."""
    session.flush()
    asset = job.asset
    audience = asset_audience(session, asset.id)
    ids: list[int] = []
    for rendition in renditions:
        payload = {
            "asset_id": asset.id,
            "owner": asset.tenant_id,
            "job_id": job.id,
            "profile": rendition.profile,
            "size": rendition.size,
            "content_type": rendition.content_type,
        }
        ids += emit(session, EventType.RENDITION_READY, asset.tenant_id, asset.id, payload, also_to=audience)
    return ids


def emit_share(session: Session, type_: EventType, asset: Asset, tenant_ids: Sequence[str]) -> list[int]:
    """``share.granted`` / ``share.revoked``: to the owner and to each tenant granted or refused."""
    ids: list[int] = []
    for tenant_id in tenant_ids:
        payload = {"asset_id": asset.id, "owner": asset.tenant_id, "tenant_id": tenant_id, "title": asset.title}
        ids += emit(session, type_, asset.tenant_id, asset.id, payload, also_to=[tenant_id])
    return ids


def events_after(
    session: Session, after: int, *, tenant_id: str | None = None, types: Sequence[str] = (), limit: int = 500
) -> list[Event]:
    """Events with an id above ``after``, oldest first: of one tenant, or of all (the bus)."""
    query = select(Event).where(Event.id > after)
    if tenant_id is not None:
        query = query.where(Event.tenant_id == tenant_id)
    if types:
        query = query.where(Event.type.in_(list(types)))
    return list(session.scalars(query.order_by(Event.id).limit(limit)))


def latest_event_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Event.id))) or 0)


def prune_events(session: Session, older_than: timedelta) -> int:
    """Remove events (and their deliveries) older than ``older_than``; returns how many."""
    removed = session.execute(delete(Event).where(Event.created_at < utcnow() - older_than))
    session.commit()
    return int(getattr(removed, "rowcount", 0) or 0)


def on_events_committed(sessions: sessionmaker[Session], callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit of a session of ``sessions`` that emitted; returns the undo."""

    def after_commit(session: Session) -> None:
        if session.info.pop(_EMITTED, False):
            callback()

    def after_rollback(session: Session, _previous: object) -> None:
        session.info.pop(_EMITTED, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_soft_rollback", after_rollback)

    def undo() -> None:
        event.remove(sessions, "after_commit", after_commit)
        event.remove(sessions, "after_soft_rollback", after_rollback)

    return undo
