"""Thin dramatiq actors: a job id in, one call into :mod:`mam.processing`. Claiming, the lease,
retries and the time limit are the job policy's, applied by :mod:`workers.middleware`."""

from __future__ import annotations

from datetime import timedelta

from dramatiq import Actor, Broker

from mam.jobs import record_sent
from mam.models import utcnow
from mam.processing import render_job
from mam.services import Services
from workers.broker import RENDER_QUEUE
from workers.middleware import Send, message_key

__all__ = ["declare_actors"]


def declare_actors(broker: Broker, services: Services) -> tuple[Actor[[str], None], Send]:
    """Declare the render actor on ``broker``; point ``services.enqueue`` at it. Returns the actor and
    the function that sends a job (noting in the catalog what was sent, and when it is due)."""

    def render_asset(job_id: str) -> None:
        render_job(services, job_id)

    actor: Actor[[str], None] = Actor(
        render_asset, broker=broker, actor_name="render_asset", queue_name=RENDER_QUEUE, priority=0, options={}
    )

    def send(job_id: str, delay: timedelta | None = None) -> None:
        ms = None if delay is None else int(delay.total_seconds() * 1000)
        message = actor.send_with_options(args=(job_id,), delay=ms)
        with services.session() as session:
            record_sent(session, job_id, message_key(message), None if delay is None else utcnow() + delay)

    services.enqueue = send
    return actor, send
