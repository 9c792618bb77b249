"""The broker, chosen by settings and passed explicitly (dramatiq's global broker is never used).

``MAM_BROKER_URL=redis://…`` gives a RedisBroker shared by every ``mam worker`` process; without it
a StubBroker keeps messages in this process and an in-process dramatiq Worker consumes them.
"""

from __future__ import annotations

from dramatiq import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from mam.settings import Settings

__all__ = ["RENDER_QUEUE", "make_broker"]

RENDER_QUEUE = "mam-render"


def make_broker(settings: Settings) -> Broker:
    if settings.broker_url is None:
        return StubBroker()
    return RedisBroker(url=settings.broker_url, namespace=settings.broker_namespace)  # type: ignore[no-untyped-call]
