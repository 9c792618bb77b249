"""Delivering events to webhooks: signed, retried with exponential backoff, then dead-lettered.

The catalog is the record (as for jobs): an event makes a ``pending`` delivery per endpoint that wants
it, in the event's own transaction (:func:`mam.events.emit`). A dispatcher takes each due delivery
(:func:`take_delivery`: one conditional UPDATE, so of several processes one sends it) and hands its id
to a worker, which makes one attempt (:func:`attempt_delivery`) and logs it. A 2xx answer ends it
(``succeeded``); anything else (another status, a timeout, a refused connection) makes it due again
after ``MAM_WEBHOOK_BACKOFF_SECONDS``, doubled at each further attempt (at most an hour), until
``MAM_WEBHOOK_MAX_ATTEMPTS`` attempts, after which it is ``dead``. A taken delivery whose worker died
is due again after a lease of the timeout plus a minute. An administrator can ask for any delivery
to be sent again (:func:`redeliver`).

Each request is signed the Standard Webhooks way (``standardwebhooks``): ``webhook-id`` (the
delivery's id, the same at every attempt, for the receiver to drop duplicates), ``webhook-timestamp``
and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` with the secret).
The body is the event as the SSE stream shows it (:class:`mam.public.events.EventPublic`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from mam.errors import NotFoundError, WebhookError
from mam.events import EventRecord
from mam.events.config import EventSettings
from mam.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from mam.public.events import EventPublic
from mam.webhooks.endpoints import check_address, get_endpoint

__all__ = [
    "DeliveryPolicy",
    "attempt_delivery",
    "due_deliveries",
    "list_deliveries",
    "redeliver",
    "take_delivery",
]

_MAX_BACKOFF = 3600.0
_ERROR_CHARS = 300


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 5.0
    timeout_seconds: float = 10.0
    allow_private: bool = True

    @classmethod
    def of(cls, events: EventSettings) -> DeliveryPolicy:
        return cls(
            events.webhook_max_attempts,
            events.webhook_backoff_seconds,
            events.webhook_timeout_seconds,
            events.webhook_allow_private,
        )

    @property
    def lease(self) -> timedelta:
        """How long a taken delivery is left to its worker before it is due again."""
        return timedelta(seconds=self.timeout_seconds + 60)

    def backoff_after(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(_MAX_BACKOFF, self.backoff_seconds * 2 ** max(0, attempts - 1)))


def due_deliveries(session: Session, limit: int = 100) -> list[str]:
    """Pending deliveries whose time has come, oldest first."""
    query = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= utcnow())
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def take_delivery(session: Session, delivery_id: str, policy: DeliveryPolicy) -> bool:
    """Claim a due delivery for one attempt (its next time moved a lease ahead); False if another
    process took it first or it is not due."""
    now = utcnow()
    taken = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + policy.lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(taken, "rowcount", 0) == 1


def _why(exc: Exception) -> str:
    """A reason for the log that names no URL (a query string may carry a receiver's token)."""
    text = str(exc) if not isinstance(exc, httpx.RequestError) else ""
    return f"{type(exc).__name__}: {text}"[:_ERROR_CHARS].rstrip(": ") or type(exc).__name__


def _send(endpoint: WebhookEndpoint, msg_id: str, body: str, policy: DeliveryPolicy) -> int:
    if not policy.allow_private:
        parts = urlsplit(endpoint.url)
        check_address(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), False)
    now = utcnow()
    signature = Webhook(endpoint.secret).sign(msg_id, now, body)
    headers = {
        "content-type": "application/json",
        "user-agent": "mam-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    with httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False, trust_env=False) as client:
        return client.post(endpoint.url, content=body.encode(), headers=headers).status_code


def attempt_delivery(session: Session, delivery_id: str, policy: DeliveryPolicy) -> str | None:
    """Send the pending delivery once, log the attempt and settle what comes next; returns the
    delivery's state afterwards (``None``: no such delivery, or not pending)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != "pending":
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    event = session.get(Event, delivery.event_id)
    if endpoint is None or event is None:
        return None
    body = EventPublic.of(EventRecord.of(event)).model_dump_json()
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        status = _send(endpoint, f"msg_{delivery.id}", body, policy)
        if not 200 <= status < 300:
            error = f"answered {status}"
    except (httpx.HTTPError, WebhookError, OSError) as exc:
        error = _why(exc)
    took = int((time.monotonic() - started) * 1000)
    session.add(WebhookAttempt(delivery_id=delivery.id, status_code=status, error=error, duration_ms=took))
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, error
    if error is None:
        delivery.state, delivery.next_attempt_at = "succeeded", None
    elif delivery.attempts >= policy.max_attempts:
        delivery.state, delivery.next_attempt_at = "dead", None
    else:
        delivery.next_attempt_at = utcnow() + policy.backoff_after(delivery.attempts)
    session.commit()
    return delivery.state


def list_deliveries(
    session: Session, tenant_id: str, endpoint_id: str, *, state: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[WebhookDelivery, Event, list[WebhookAttempt]]], int]:
    """The endpoint's deliveries, newest first, each with its event and its attempts; and their count."""
    get_endpoint(session, tenant_id, endpoint_id)
    where = [WebhookDelivery.endpoint_id == endpoint_id]
    if state is not None:
        where.append(WebhookDelivery.state == state)
    total = session.scalar(select(func.count()).select_from(WebhookDelivery).where(*where)) or 0
    rows = session.execute(
        select(WebhookDelivery, Event)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(*where)
        .order_by(WebhookDelivery.event_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    ids = [d.id for d, _ in rows]
    attempts: dict[str, list[WebhookAttempt]] = {i: [] for i in ids}
    if ids:
        query = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)).order_by(WebhookAttempt.id)
        for attempt in session.scalars(query):
            attempts[attempt.delivery_id].append(attempt)
    return [(d, e, attempts[d.id]) for d, e in rows], int(total)


def redeliver(
    session: Session, tenant_id: str, endpoint_id: str, delivery_id: str
) -> tuple[WebhookDelivery, Event, list[WebhookAttempt]]:
    """Send the delivery again now, whatever became of it, with a fresh count of attempts (its log
    stays); returns it with its event and attempts."""
    get_endpoint(session, tenant_id, endpoint_id)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFoundError(f"no delivery {delivery_id} of webhook {endpoint_id}")
    delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    session.commit()
    event = session.get(Event, delivery.event_id)
    assert event is not None  # deliveries go with their event
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id).order_by(WebhookAttempt.id)
    return delivery, event, list(session.scalars(query))
