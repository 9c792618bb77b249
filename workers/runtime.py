"""Start and stop a dramatiq Worker for the configured broker, resending jobs whose message was lost."""

from __future__ import annotations

import logging
import threading

from dramatiq import Broker, Worker

from mam.jobs import jobs_to_resend
from mam.processing import STALE_AFTER
from mam.services import Services
from workers.actors import declare_actors
from workers.broker import make_broker

__all__ = ["JobRunner", "attach_broker", "resend_lost_jobs"]

log = logging.getLogger(__name__)


def attach_broker(services: Services) -> Broker:
    """Make the broker named by the settings and declare the actors on it (sets ``services.enqueue``)."""
    broker = make_broker(services.settings)
    declare_actors(broker, services)
    return broker


def resend_lost_jobs(services: Services, already_sent: set[str] | None = None) -> int:
    """Send again every queued job (and every running job whose worker went silent).

    Ids in ``already_sent`` are skipped; sent ids are added to it.
    """
    with services.session() as session:
        ids = jobs_to_resend(session, STALE_AFTER, services.settings.job_max_attempts)
    fresh = [i for i in ids if already_sent is None or i not in already_sent]
    for job_id in fresh:
        services.enqueue(job_id)
        if already_sent is not None:
            already_sent.add(job_id)
    if fresh:
        log.info("sent %d job(s) found queued in the catalog", len(fresh))
    return len(fresh)


class JobRunner:
    """A dramatiq Worker consuming the render queue in this process.

    On the embedded broker, messages live only in this process, so the runner also watches the
    catalog for jobs queued by other processes (e.g. ``mam ingest`` without ``--wait``). With
    Redis, queued jobs are sent again once at start (their message may have been lost).
    """

    def __init__(
        self, services: Services, broker: Broker, threads: int | None = None, poll_seconds: float = 3.0
    ) -> None:
        self.services = services
        self.broker = broker
        self.worker = Worker(broker, worker_threads=threads or services.settings.worker_threads, worker_timeout=250)
        self.sent: set[str] = set()
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None

    def start(self, resend: bool = True) -> None:
        self.worker.start()
        if resend:
            self.resend()
            if self.services.settings.embedded_broker:
                self._poller = threading.Thread(target=self._poll, name="mam-catalog-poll", daemon=True)
                self._poller.start()

    def resend(self) -> int:
        """Send the catalog's queued jobs that this runner has not sent yet."""
        return resend_lost_jobs(self.services, self.sent)

    def _poll(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            try:
                self.resend()
            except Exception:  # the catalog may be briefly unavailable; try again next round
                log.exception("looking for queued jobs failed")

    def stop(self) -> None:
        self._stopping.set()
        if self._poller is not None:
            self._poller.join()
        self.worker.stop()
        self.broker.close()
