"""What an event can say: a fixed vocabulary, ``<noun>.<verb>``."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EVENT_TYPES", "EventType"]


class EventType(StrEnum):
    ASSET_CREATED = "asset.created"
    ASSET_UPDATED = "asset.updated"
    ASSET_DELETED = "asset.deleted"
    JOB_QUEUED = "job.queued"
    JOB_STARTED = "job.started"
    JOB_PROGRESS = "job.progress"
    JOB_DONE = "job.done"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"
    RENDITION_READY = "rendition.ready"
    SHARE_GRANTED = "share.granted"
    SHARE_REVOKED = "share.revoked"


EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)
