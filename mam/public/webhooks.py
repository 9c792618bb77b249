"""Webhooks as clients read and write them; the secret appears only in :class:`WebhookCreated`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mam.events import EventType
from mam.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "DeliveryList",
    "DeliveryPublic",
    "DeliveryState",
    "WebhookAttemptPublic",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookList",
    "WebhookPublic",
    "WebhookUpdate",
]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="http:// or https:// URL the events are POSTed to")
    event_types: list[EventType] = Field(
        default_factory=list, max_length=20, description="the types sent; empty: every type but job.progress"
    )
    description: str = Field(default="", max_length=200)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[EventType] | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=200)
    active: bool | None = Field(default=None, description="false pauses the endpoint: no new deliveries")


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[EventType]
    description: str
    active: bool
    created_at: AwareDatetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookPublic:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            event_types=[EventType(t) for t in endpoint.event_types],
            description=endpoint.description,
            active=endpoint.active,
            created_at=endpoint.created_at,
        )


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="whsec_...: verify each delivery's webhook-signature with it. Shown this once")


class WebhookList(BaseModel):
    items: list[WebhookPublic]


class DeliveryState(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


class WebhookAttemptPublic(BaseModel):
    at: AwareDatetime
    status_code: int | None = Field(description="the endpoint's answer; none when it gave none (timeout, refused)")
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> WebhookAttemptPublic:
        return cls(at=attempt.at, status_code=attempt.status_code, error=attempt.error, duration_ms=attempt.duration_ms)


class DeliveryPublic(BaseModel):
    id: str = Field(description="also the webhook-id header (msg_<id>), the same at every attempt")
    event_id: int
    event_type: EventType
    state: DeliveryState
    attempts: int
    next_attempt_at: AwareDatetime | None
    last_status: int | None
    last_error: str | None
    created_at: AwareDatetime
    log: list[WebhookAttemptPublic]

    @classmethod
    def of(cls, delivery: WebhookDelivery, event: Event, attempts: list[WebhookAttempt]) -> DeliveryPublic:
        return cls(
            id=delivery.id,
            event_id=event.id,
            event_type=EventType(event.type),
            state=DeliveryState(delivery.state),
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status=delivery.last_status,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            log=[WebhookAttemptPublic.of(a) for a in attempts],
        )


class DeliveryList(BaseModel):
    items: list[DeliveryPublic]
    total: int
