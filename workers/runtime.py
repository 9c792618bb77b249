"""Start and stop a dramatiq Worker for the configured broker, with the sweep that keeps every job
moving: each worker process looks in the catalog every ``MAM_JOB_SWEEP_SECONDS`` and sends again
what the broker lost (a broker restarted empty) or what a dead worker held (its lease ran out)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from dramatiq import Broker, Worker

from mam.jobs import JobPolicy, give_up_abandoned, jobs_to_send, take_send
from mam.models import utcnow
from mam.services import Services
from workers.actors import declare_actors
from workers.broker import make_broker, message_held
from workers.middleware import JobAttempts, Send

__all__ = ["JobRunner", "attach_broker", "sweep"]

log = logging.getLogger(__name__)

_UNKNOWN_BROKER_RESEND = timedelta(minutes=10)
"""On a broker that cannot say whether it still holds a message, a queued job is sent again this
long after its last message (a duplicate costs one skipped message: jobs are claimed once)."""


def attach_broker(services: Services) -> Broker:
    """Make the broker named by the settings, declare the actors and the job policy's middleware on
    it (sets ``services.enqueue``)."""
    broker = make_broker(services.settings)
    actor, send = declare_actors(broker, services)
    broker.add_middleware(JobAttempts(services, {actor.actor_name}, send))
    return broker


def _policy_middleware(broker: Broker) -> JobAttempts:
    return next(m for m in broker.middleware if isinstance(m, JobAttempts))


def sweep(services: Services, broker: Broker) -> int:
    """Send again every job that may run now and whose message is gone; fail those whose worker
    died on their last attempt. Returns how many jobs were sent."""
    attempts = _policy_middleware(broker)
    send: Send = attempts.send
    policy = JobPolicy.from_settings(services.settings)
    sent = 0
    with services.session() as session:
        for job_id in give_up_abandoned(session, policy):
            log.warning("job %s failed: its worker died on its last attempt", job_id)
        for job in jobs_to_send(session, policy):
            if not job.lost_worker and job.message_id is not None:
                held = message_held(broker, job.message_id)
                if held is None and services.settings.embedded_broker:
                    held = attempts.held(job.message_id)
                if held is None:
                    held = job.sent_at is not None and utcnow() - job.sent_at < _UNKNOWN_BROKER_RESEND
                if held:
                    continue
            if take_send(session, job):  # of several workers sweeping at once, only one sends
                send(job.id, None)
                sent += 1
                why = "its worker stopped answering" if job.lost_worker else "the broker no longer holds its message"
                log.info("sent job %s again: %s", job.id, why)
    return sent


class JobRunner:
    """A dramatiq Worker consuming the render queue in this process, and the sweep beside it.

    The sweep runs at start and every ``MAM_JOB_SWEEP_SECONDS``: on the embedded broker it also
    picks up jobs queued by other processes (e.g. ``mam ingest`` without ``--wait``)."""

    def __init__(self, services: Services, broker: Broker, threads: int | None = None) -> None:
        self.services = services
        self.broker = broker
        self.worker = Worker(broker, worker_threads=threads or services.settings.worker_threads, worker_timeout=250)
        self.sweep_seconds = services.settings.job_sweep_seconds
        self._stopping = threading.Event()
        self._sweeper: threading.Thread | None = None

    def start(self, resend: bool = True) -> None:
        """Start consuming; with ``resend``, sweep now and every ``MAM_JOB_SWEEP_SECONDS``."""
        self.worker.start()
        if resend:
            self._sweep_once()
            self._sweeper = threading.Thread(target=self._sweep, name="mam-job-sweep", daemon=True)
            self._sweeper.start()

    def resend(self) -> int:
        """Sweep once now: send again what the broker lost or a dead worker held."""
        return sweep(self.services, self.broker)

    def _sweep_once(self) -> None:
        try:
            self.resend()
        except Exception:  # the catalog or the broker may be briefly unreachable: next round
            log.exception("looking for jobs to send again failed")

    def _sweep(self) -> None:
        while not self._stopping.wait(self.sweep_seconds):
            self._sweep_once()

    def stop(self) -> None:
        self._stopping.set()
        if self._sweeper is not None:
            self._sweeper.join()
        self.worker.stop()
        self.broker.close()
