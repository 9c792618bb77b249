"""The brokers, chosen by settings and passed explicitly (dramatiq's global broker is never used).

``MAM_BROKER_URL=redis://…`` gives a RedisBroker and ``amqp://…`` dramatiq's RabbitMQ broker, shared
by every ``mam worker`` process; without it a StubBroker keeps messages in this process and an
in-process dramatiq Worker consumes them.

Heavy work (renders and exports) goes to one queue per lane (``<namespace>-urgent``, ``-normal``,
``-bulk``); a worker consumes the queues of its lanes only. The queue a message arrives on does not
decide what runs: a free slot claims the highest lane's job from the catalog (:mod:`mam.jobs.lanes`).
Light work (webhook deliveries, notifications) has its own broker connection, queue
(``<namespace>-light``) and threads, so it never waits behind a render.

dramatiq's own Retries middleware is left out: whether and when a job is tried again is the
catalog's job policy (:mod:`mam.jobs.policy`, applied by :mod:`workers.middleware`). dramatiq's
TimeLimit stays as a backstop above the longest render the settings allow (each render's own
limit, derived from its media, is enforced by the sandbox).
"""

from __future__ import annotations

from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name
from dramatiq.middleware import AgeLimit, Callbacks, Middleware, Pipelines, ShutdownNotifications, TimeLimit

from mam.jobs.lanes import LANES, Lane
from mam.settings import Settings

__all__ = [
    "LIGHT_TIME_LIMIT_MS",
    "light_queue",
    "make_broker",
    "make_light_broker",
    "message_held",
    "queue_of",
    "time_limit_ms",
]

_TIME_LIMIT_MARGIN_SECONDS = 15 * 60

LIGHT_TIME_LIMIT_MS = 5 * 60 * 1000
"""No light message may run longer than this (a webhook delivery has its own, shorter timeout)."""


def queue_of(settings: Settings, lane: Lane | str) -> str:
    """The broker queue of a lane's heavy work: ``<MAM_BROKER_NAMESPACE>-<lane>``."""
    return f"{settings.broker_namespace}-{Lane(lane).value}"


def light_queue(settings: Settings) -> str:
    """The broker queue of light work: ``<MAM_BROKER_NAMESPACE>-light``."""
    return f"{settings.broker_namespace}-light"


def time_limit_ms(settings: Settings) -> int:
    """dramatiq's time limit for one message: the longest render allowed, plus a margin for
    storing and registering its outputs."""
    return int((settings.render_timeout_max_seconds + _TIME_LIMIT_MARGIN_SECONDS) * 1000)


def _broker(settings: Settings, time_limit: int) -> Broker:
    middleware: list[Middleware] = [
        AgeLimit(),
        TimeLimit(time_limit=time_limit),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
    ]
    url = settings.broker_url
    if url is None:
        return StubBroker(middleware=middleware)
    if url.startswith(("amqp://", "amqps://")):
        # publisher confirms: a message is handed over only once RabbitMQ has it
        return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    return RedisBroker(url=url, namespace=settings.broker_namespace, middleware=middleware)  # type: ignore[no-untyped-call]


def make_broker(settings: Settings) -> Broker:
    """The broker of heavy work (one queue per lane)."""
    return _broker(settings, time_limit_ms(settings))


def make_light_broker(settings: Settings) -> Broker:
    """A broker of its own for light work: its own connection and queue, consumed by its own threads."""
    return _broker(settings, LIGHT_TIME_LIMIT_MS)


def message_held(broker: Broker, settings: Settings, message_id: str) -> bool | None:
    """Whether the broker still holds the message (queued, delayed, or being worked on): Redis can
    say; ``None`` for a broker that cannot be asked (RabbitMQ: its queues are durable and its
    messages persistent, so a restart loses none)."""
    if isinstance(broker, RedisBroker):
        queues = [queue_of(settings, lane) for lane in LANES]
        return any(
            broker.client.hexists(f"{broker.namespace}:{q}.msgs", message_id) for n in queues for q in (n, dq_name(n))
        )
    return None
