"""Start and stop a worker: a dramatiq Worker for heavy work (its lanes' queues, ``concurrency``
slots), one for light work (its own broker and threads), and beside them

- the **sweep**, every ``MAM_JOB_SWEEP_SECONDS``: send again what the broker lost (a broker
  restarted empty: Redis is asked by message id, RabbitMQ through its loss mark,
  :mod:`workers.loss_mark`) or what a dead worker held (its lease ran out);
- the **idle look**, every second while a slot is free and nothing waits in this process: a job of
  this worker's lanes that could run, whose message went out over a second ago, is sent again: its
  message waits in a busy worker's prefetch (dramatiq's consumers fetch ahead from every queue), and
  the new one comes to a free slot;
- the **graceful stop**: no new work is taken, a running job has ``MAM_WORKER_GRACE_SECONDS`` to
  finish, then it is given back (queued again, the attempt not counted) and the process ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from dramatiq import Broker, Worker

from mam.jobs import JobPolicy, give_up_abandoned, jobs_to_send, take_send
from mam.jobs.lanes import LANES, Lane, waiting_job
from mam.jobs.telemetry import job_lost
from mam.models import utcnow
from mam.services import Services
from workers.actors import declare_actors
from workers.broker import make_broker, make_light_broker, message_held, queue_of
from workers.loss_mark import LossMark
from workers.middleware import JobAttempts, Send
from workers.webhooks import declare_webhooks

__all__ = ["JobRunner", "LightActors", "attach_broker", "attach_light_broker", "sweep"]

log = logging.getLogger(__name__)

_UNKNOWN_BROKER_RESEND = timedelta(minutes=10)
"""On a broker that cannot say whether it still holds a message, a queued job is sent again this
long after its last message (a duplicate costs one skipped message: jobs are claimed once). On
RabbitMQ the loss mark (:mod:`workers.loss_mark`) finds a broker that lost its queues within a sweep;
this stays as the backstop for a message removed by other means (a queue purged by hand)."""

IDLE_LOOK_SECONDS = 1.0
"""How often a worker with a free slot looks in the catalog for a job it was not offered."""

LightActors = Callable[[Broker, Services], object]
"""Declares light actors (webhook delivery, notifications) on the light broker."""


def attach_broker(services: Services, lanes: Sequence[Lane] = LANES) -> Broker:
    """Make the broker named by the settings, declare the render actors and the job policy's
    middleware on it (sets ``services.enqueue``). ``lanes``: those this process's slots take."""
    broker = make_broker(services.settings)
    holder: list[JobAttempts] = []
    actors, send = declare_actors(broker, services, lambda offered: holder[0].claimed(offered))
    attempts = JobAttempts(services, {a.actor_name for a in actors.values()}, send, tuple(lanes))
    holder.append(attempts)
    broker.add_middleware(attempts)
    return broker


def attach_light_broker(services: Services, declare: Iterable[LightActors] = (declare_webhooks,)) -> Broker:
    """The light broker, with the light actors ``declare`` puts on it (by default webhook delivery)."""
    broker = make_light_broker(services.settings)
    for each in declare:
        each(broker, services)
    return broker


def _policy_middleware(broker: Broker) -> JobAttempts:
    return next(m for m in broker.middleware if isinstance(m, JobAttempts))


def sweep(services: Services, broker: Broker, mark: LossMark | None = None) -> int:
    """Send again every job that may run now and whose message is gone; fail those whose worker
    died on their last attempt. ``mark``: this process's look at a RabbitMQ broker's loss mark.
    Returns how many jobs were sent."""
    attempts = _policy_middleware(broker)
    send: Send = attempts.send
    policy = JobPolicy.from_settings(services.settings)
    lost_before = mark.look() if mark is not None else None
    sent = 0
    with services.session() as session:
        for job_id in give_up_abandoned(session, policy):
            job_lost(session, job_id, final=True)  # a log line, and mam_job_failures_total{reason="worker_lost"}
        for job in jobs_to_send(session, policy):
            if not job.lost_worker and job.message_id is not None:
                held = message_held(broker, services.settings, job.message_id)
                if held is None and services.settings.embedded_broker:
                    held = attempts.held(job.message_id)
                if held is None and lost_before is not None and job.sent_at is not None:
                    held = False if job.sent_at < lost_before else None  # sent before the broker lost its queues
                if held is None:
                    held = job.sent_at is not None and utcnow() - job.sent_at < _UNKNOWN_BROKER_RESEND
                if held:
                    continue
            if take_send(session, job):  # of several workers sweeping at once, only one sends
                send(job.id, None)
                sent += 1
                why = "its worker stopped answering" if job.lost_worker else "the broker no longer holds its message"
                log.info("sent job %s again: %s", job.id, why)
                if job.lost_worker:
                    job_lost(session, job.id, final=False)
    return sent


class JobRunner:
    """The heavy and light dramatiq Workers of this process, the sweep and the idle look beside them.

    ``threads``: heavy slots (jobs at once; default ``MAM_WORKER_THREADS``); the lanes are those
    ``broker`` was attached with. The sweep runs at start and every ``MAM_JOB_SWEEP_SECONDS``: on the
    embedded broker it also picks up jobs queued by other processes (e.g. ``mam ingest`` without
    ``--wait``)."""

    def __init__(
        self,
        services: Services,
        broker: Broker,
        threads: int | None = None,
        *,
        light: Broker | None = None,
        light_threads: int | None = None,
    ) -> None:
        settings = services.settings
        self.services = services
        self.broker = broker
        self.attempts = _policy_middleware(broker)
        self.lanes = self.attempts.lanes
        self.concurrency = threads or settings.worker_threads
        queues = {queue_of(settings, lane) for lane in self.lanes}
        self.worker = Worker(broker, queues=queues, worker_threads=self.concurrency, worker_timeout=250)
        # fetch no further ahead than the slots: the backlog stays in the broker for any free worker
        self.worker.queue_prefetch = self.concurrency
        self.light = light if light is not None else attach_light_broker(services)
        self.light_worker = Worker(
            self.light, worker_threads=light_threads or settings.worker_light_threads, worker_timeout=250
        )
        self.sweep_seconds = settings.job_sweep_seconds
        self.loss_mark = LossMark(broker, settings)
        self.policy = JobPolicy.from_settings(settings)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, resend: bool = True) -> None:
        """Start consuming; with ``resend``, sweep now and every ``MAM_JOB_SWEEP_SECONDS``, and look
        for jobs not offered to a free slot every second."""
        self.worker.start()
        self.light_worker.start()
        if resend:
            self._sweep_once()
            for name, loop in (("mam-job-sweep", self._sweep), ("mam-idle-look", self._idle_look)):
                thread = threading.Thread(target=loop, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)

    def resend(self) -> int:
        """Sweep once now: send again what the broker lost or a dead worker held."""
        return sweep(self.services, self.broker, self.loss_mark)

    def _sweep_once(self) -> None:
        try:
            self.resend()
        except Exception:  # the catalog or the broker may be briefly unreachable: next round
            log.exception("looking for jobs to send again failed")

    def _sweep(self) -> None:
        while not self._stopping.wait(self.sweep_seconds):
            self._sweep_once()

    def look_once(self) -> str | None:
        """If a slot is free and nothing waits in this process: send again the best job of this
        worker's lanes that could run and was sent over a second ago. Returns its id."""
        if self.attempts.running >= self.concurrency or self.worker.work_queue.qsize():
            return None
        with self.services.session() as session:
            job = waiting_job(session, self.lanes, self.policy, utcnow() - timedelta(seconds=IDLE_LOOK_SECONDS))
            if job is None or not take_send(session, job):  # of several idle workers, one sends
                return None
        self.attempts.send(job.id, None)
        log.info("sent job %s again: a slot is free here and its message waits elsewhere", job.id)
        return job.id

    def _idle_look(self) -> None:
        while not self._stopping.wait(IDLE_LOOK_SECONDS):
            try:
                self.look_once()
            except Exception:
                log.warning("looking for a job for a free slot failed", exc_info=True)

    def stop(self, grace: float | None = None) -> None:
        """Stop taking work; give a running job ``grace`` seconds (default ``MAM_WORKER_GRACE_SECONDS``)
        to finish, then give it back (queued again, sent again, the attempt not counted)."""
        grace = self.services.settings.worker_grace_seconds if grace is None else grace
        self._stopping.set()
        for thread in self._threads:
            thread.join()
        timer = threading.Timer(grace, self.services.handing_back.set)
        timer.daemon = True
        timer.start()
        try:
            self.worker.stop(timeout=int((grace + 120) * 1000))
        finally:
            timer.cancel()
            self.services.handing_back.clear()  # these services may run jobs again (another runner)
        self.light_worker.stop(timeout=30_000)
        self.broker.close()
        self.light.close()
