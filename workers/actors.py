"""Thin dramatiq actors: a job id in, one call into :mod:`mam.processing`. Claiming, the lease,
retries, the time limit and the choice of lane are the job policy's, applied by
:mod:`workers.middleware`.

There is one render actor per lane (``render_urgent``, ``render_normal``, ``render_bulk``), each on
its lane's queue, all running the same function: a message wakes a free slot, which claims the
highest lane's claimable job (perhaps not the message's own: the middleware says which).
Light actors (:func:`declare_light_actor`) live on the light broker and its queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from dramatiq import Actor, Broker
from sqlalchemy import select

from mam.jobs import record_sent
from mam.jobs.lanes import LANES, Lane
from mam.models import Job, utcnow
from mam.processing import render_job
from mam.services import Services
from workers.broker import light_queue, queue_of
from workers.middleware import Send, message_key

__all__ = ["RenderActors", "declare_actors", "declare_light_actor"]

RenderActors = dict[Lane, "Actor[[str], None]"]


def declare_actors(broker: Broker, services: Services, claimed: Callable[[str], str]) -> tuple[RenderActors, Send]:
    """Declare the render actors (one per lane) on ``broker``; point ``services.enqueue`` at them.

    ``claimed``: the job the middleware claimed for a message of this job id (in this thread).
    Returns the actors and the function that sends a job to its lane's queue (noting in the catalog
    what was sent, and when it is due)."""

    def render_asset(job_id: str) -> None:
        render_job(services, claimed(job_id))

    actors: RenderActors = {
        lane: Actor(
            render_asset,
            broker=broker,
            actor_name=f"render_{lane.value}",
            queue_name=queue_of(services.settings, lane),
            priority=lane.rank,
            options={},
        )
        for lane in LANES
    }

    def send(job_id: str, delay: timedelta | None = None) -> None:
        ms = None if delay is None else int(delay.total_seconds() * 1000)
        with services.session() as session:
            lane = Lane(session.scalar(select(Job.lane).where(Job.id == job_id)) or Lane.NORMAL)
            message = actors[lane].send_with_options(args=(job_id,), delay=ms)
            record_sent(session, job_id, message_key(message), None if delay is None else utcnow() + delay)

    services.enqueue = send
    return actors, send


def declare_light_actor(
    broker: Broker, services: Services, fn: Callable[..., None], name: str | None = None
) -> Actor[..., None]:
    """Declare ``fn`` as a light actor (webhook delivery, a notification) on the light ``broker``: it runs
    on the worker's light threads, never behind a render. Send it with ``actor.send(...)``."""
    actor: Actor[..., None] = Actor(
        fn,
        broker=broker,
        actor_name=name or fn.__name__,
        queue_name=light_queue(services.settings),
        priority=0,
        options={},
    )
    return actor
