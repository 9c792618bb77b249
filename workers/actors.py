"""Thin dramatiq actors: a job id in, one call into :mod:`mam.processing`, the result recorded there."""

from __future__ import annotations

from dramatiq import Actor, Broker

from mam.processing import process_job
from mam.services import Services
from workers.broker import RENDER_QUEUE

__all__ = ["declare_actors"]

_SIX_HOURS_MS = 6 * 3600 * 1000


def declare_actors(broker: Broker, services: Services) -> Actor[[str], None]:
    """Declare the render actor on ``broker`` and point ``services.enqueue`` at it."""

    def render_asset(job_id: str) -> None:
        process_job(services, job_id)

    actor: Actor[[str], None] = Actor(
        render_asset,
        broker=broker,
        actor_name="render_asset",
        queue_name=RENDER_QUEUE,
        priority=0,
        options={
            "max_retries": max(0, services.settings.job_max_attempts - 1),
            "min_backoff": 2_000,
            "max_backoff": 60_000,
            "time_limit": _SIX_HOURS_MS,
        },
    )

    def enqueue(job_id: str) -> None:
        actor.send(job_id)

    services.enqueue = enqueue
    return actor
