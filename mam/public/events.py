"""An event as a client reads it: in the ``data:`` of the SSE stream and in the body of a webhook."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from mam.events import EventRecord, EventType

__all__ = ["EventPublic"]


class EventPublic(BaseModel):
    id: int = Field(description="only grows: resume a stream after it with Last-Event-ID or ?after=")
    type: EventType
    tenant_id: str = Field(description="the tenant whose stream the event is in")
    subject: str = Field(description="what the event is about: an asset id (asset, rendition, share) or a job id")
    created_at: AwareDatetime
    data: dict[str, Any] = Field(description="the facts: ids, title, state, progress, profile...")

    @classmethod
    def of(cls, record: EventRecord) -> EventPublic:
        return cls(
            id=record.id,
            type=EventType(record.type),
            tenant_id=record.tenant_id,
            subject=record.subject,
            created_at=record.created_at,
            data=record.payload,
        )
