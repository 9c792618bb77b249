"""The broker, chosen by settings and passed explicitly (dramatiq's global broker is never used).

``MAM_BROKER_URL=redis://…`` gives a RedisBroker shared by every ``mam worker`` process; without it
a StubBroker keeps messages in this process and an in-process dramatiq Worker consumes them.

dramatiq's own Retries middleware is left out: whether and when a job is tried again is the
catalog's job policy (:mod:`mam.jobs.policy`, applied by :mod:`workers.middleware`). dramatiq's
TimeLimit stays as a backstop above the longest render the settings allow (each render's own
limit, derived from its media, is enforced by the sandbox).
"""

from __future__ import annotations

from dramatiq import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name
from dramatiq.middleware import AgeLimit, Callbacks, Middleware, Pipelines, ShutdownNotifications, TimeLimit

from mam.settings import Settings

__all__ = ["RENDER_QUEUE", "make_broker", "message_held", "time_limit_ms"]

RENDER_QUEUE = "mam-render"

_TIME_LIMIT_MARGIN_SECONDS = 15 * 60


def time_limit_ms(settings: Settings) -> int:
    """dramatiq's time limit for one message: the longest render allowed, plus a margin for
    storing and registering its outputs."""
    return int((settings.render_timeout_max_seconds + _TIME_LIMIT_MARGIN_SECONDS) * 1000)


def make_broker(settings: Settings) -> Broker:
    middleware: list[Middleware] = [
        AgeLimit(),
        TimeLimit(time_limit=time_limit_ms(settings)),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
    ]
    if settings.broker_url is None:
        return StubBroker(middleware=middleware)
    return RedisBroker(url=settings.broker_url, namespace=settings.broker_namespace, middleware=middleware)  # type: ignore[no-untyped-call]


def message_held(broker: Broker, message_id: str) -> bool | None:
    """Whether the broker still holds the message (queued, delayed, or being worked on): Redis can
    say; ``None`` for a broker that cannot be asked."""
    if isinstance(broker, RedisBroker):
        held = [
            broker.client.hexists(f"{broker.namespace}:{q}.msgs", message_id)
            for q in (RENDER_QUEUE, dq_name(RENDER_QUEUE))
        ]
        return any(held)
    return None
