"""Whether RabbitMQ lost what it held: a mark message the sweep keeps in the broker.

RabbitMQ cannot be asked whether it holds one message (Redis can, by id), and the count it gives
for a queue leaves out the messages a worker has fetched ahead and not yet acknowledged, so an empty
queue does not mean a lost job. What it can be asked without consuming is how many messages wait in
a queue no one consumes. The sweep keeps one persistent message in such a queue
(``<MAM_BROKER_NAMESPACE>-loss-mark``, durable like dramatiq's queues): a broker that keeps its
queues across a restart keeps the mark too, together with every job message (persistent, and
published with confirms); a broker that lost its queues (its data gone, a new node, the queues
deleted) lost the mark with them.

When a sweep finds no mark, it puts one back and notes the time: every message sent before then may
be gone, so each job still queued whose last message went out before that time is sent again (once:
the new message is later than the mark). A message a worker held fetched ahead of time counts as
present as long as the mark stands, whatever the queue counts say. A duplicate costs one skipped
message: a job is claimed once. The catalog's clocks are assumed to agree across machines (the lease
assumes it already).

The mark is checked once per sweep (``MAM_JOB_SWEEP_SECONDS``), so a job whose message the broker
lost is sent again within two sweeps of the broker coming back. The first worker ever started on a
broker finds no mark either and sends the queued jobs once more.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import pika  # type: ignore[import-untyped]
import pika.exceptions  # type: ignore[import-untyped]
from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker

from mam.models import utcnow
from mam.settings import Settings

__all__ = ["LossMark", "mark_queue"]

log = logging.getLogger(__name__)


def mark_queue(settings: Settings) -> str:
    """The queue holding the mark: ``<MAM_BROKER_NAMESPACE>-loss-mark`` (never consumed)."""
    return f"{settings.broker_namespace}-loss-mark"


class LossMark:
    """The time before which this broker may have lost messages, as this process last saw its mark."""

    def __init__(self, broker: Broker, settings: Settings) -> None:
        self.broker = broker if isinstance(broker, RabbitmqBroker) else None
        self.queue = mark_queue(settings)
        self.lost_before: datetime | None = None
        """Messages sent before this may be gone (None: none lost since this process started)."""
        self._lock = threading.Lock()

    def look(self) -> datetime | None:
        """Look for the mark (put it back if it is gone); returns :attr:`lost_before`. A broker that
        cannot be reached now changes nothing: the next sweep looks again."""
        if self.broker is None:
            return None
        with self._lock:
            try:
                present = self._present(self.broker)
            except (pika.exceptions.AMQPError, OSError) as exc:
                del self.broker.connection  # the next look connects afresh
                log.info("could not look for the broker's loss mark: %s", exc)
                return self.lost_before
            if not present:
                self.lost_before = utcnow()
                log.warning("the broker holds no loss mark: messages sent before now may be lost; sending again")
            return self.lost_before

    def _present(self, broker: RabbitmqBroker) -> bool:
        """Whether the mark is in its queue; if not, puts it there (declaring the queue if it went)."""
        channel = broker.channel
        declared = channel.queue_declare(queue=self.queue, durable=True)
        if declared.method.message_count > 0:
            return True
        channel.basic_publish(
            exchange="",
            routing_key=self.queue,
            body=utcnow().isoformat().encode(),
            properties=pika.BasicProperties(delivery_mode=2),  # persistent, like dramatiq's messages
        )
        return False
