"""What every table shares: the declarative base, UTC times, ids, and the states of assets and jobs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

__all__ = ["AssetStatus", "Base", "JobLane", "JobState", "UTCDateTime", "new_id", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class AssetStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobLane(StrEnum):
    """Which job a free worker slot takes first: urgent, then normal, then bulk (:mod:`mam.jobs.lanes`)."""

    URGENT = "urgent"
    """Breaking news (重大新闻先发): taken before anything else by the next free slot."""
    NORMAL = "normal"
    """Everyday work (the default)."""
    BULK = "bulk"
    """Archive imports and backfills: taken when nothing more urgent waits."""

    @property
    def rank(self) -> int:
        """0 for urgent, 1 for normal, 2 for bulk: lower runs first."""
        return ("urgent", "normal", "bulk").index(self.value)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, always timezone-aware UTC in Python, whatever the database gives back.

    SQLite keeps no zone and returns naive values; PostgreSQL returns them in the session's zone.
    Written: an aware value is turned to UTC (a naive one is taken as UTC); read: UTC is attached.
    The column stays ``DateTime(timezone=True)``, so the schema and migrations do not change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _utc(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: UTCDateTime(),
    }
