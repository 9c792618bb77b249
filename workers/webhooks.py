"""The webhook delivery actor (light work: its own broker, queue and threads, never behind a render)
and the dispatcher that sends it the deliveries that are due.

The catalog is the record (:mod:`mam.webhooks.delivery`): the dispatcher, a thread beside each
process's light dramatiq Worker, takes each due delivery with a conditional UPDATE (so of several
worker processes one sends it) and sends its id to ``deliver_webhook``, which makes one attempt. It
looks every second, and at once after this process commits an event. Once an hour it also removes
events older than ``MAM_EVENT_RETENTION_DAYS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dramatiq import Actor, Broker, Middleware, Worker

from mam.events import on_events_committed, prune_events
from mam.services import Services
from mam.webhooks import DeliveryPolicy, attempt_delivery, due_deliveries, take_delivery
from workers.broker import light_queue

__all__ = ["DISPATCH_SECONDS", "WebhookDispatcher", "declare_webhooks"]

log = logging.getLogger(__name__)

DISPATCH_SECONDS = 1.0
_PRUNE_SECONDS = 3600.0


class WebhookDispatcher(Middleware):
    """Runs while a Worker consumes the light broker: sends due deliveries to the actor."""

    def __init__(self, services: Services, send: Callable[[str], Any]) -> None:
        self.services = services
        self.send = send
        self.policy = DeliveryPolicy.of(services.settings.events)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._undo: Callable[[], None] | None = None
        self._pruned = 0.0

    def after_worker_boot(self, broker: Broker, worker: Worker) -> None:
        self._stop.clear()
        self._undo = on_events_committed(self.services.sessions, self._wake.set)
        self._thread = threading.Thread(target=self._run, name="mam-webhook-dispatch", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        self._stop.set()
        self._wake.set()
        if self._undo is not None:
            self._undo()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def dispatch_once(self) -> int:
        """Send every due delivery this process takes; returns how many."""
        sent = 0
        with self.services.session() as session:
            for delivery_id in due_deliveries(session):
                if take_delivery(session, delivery_id, self.policy):
                    self.send(delivery_id)
                    sent += 1
        return sent

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(DISPATCH_SECONDS)
            self._wake.clear()
            try:
                self.dispatch_once()
                if time.monotonic() - self._pruned > _PRUNE_SECONDS:
                    self._pruned = time.monotonic()
                    with self.services.session() as session:
                        days = self.services.settings.events.retention_days
                        prune_events(session, timedelta(days=days))
            except Exception:  # the catalog or the broker may be briefly unreachable: next round
                log.warning("sending due webhook deliveries failed", exc_info=True)
                self._stop.wait(DISPATCH_SECONDS)


def declare_webhooks(broker: Broker, services: Services) -> WebhookDispatcher:
    """Declare ``deliver_webhook`` on the light ``broker`` and the dispatcher beside its Worker."""
    policy = DeliveryPolicy.of(services.settings.events)

    def deliver_webhook(delivery_id: str) -> None:
        with services.session() as session:
            attempt_delivery(session, delivery_id, policy)

    actor: Actor[[str], None] = Actor(
        deliver_webhook,
        broker=broker,
        actor_name="deliver_webhook",
        queue_name=light_queue(services.settings),
        priority=0,
        options={},
    )
    dispatcher = WebhookDispatcher(services, actor.send)
    broker.add_middleware(dispatcher)
    return dispatcher
