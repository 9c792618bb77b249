"""One attempt at a job in this process: claimed once, its lease kept alive while it runs, ended
under the catalog's policy (retry after a backoff, or fail with a reason a person can act on).

A worker's middleware (``workers/middleware.py``) wraps every job message in an :class:`Attempt`;
:func:`mam.processing.process_job` does the same for callers without a broker.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
from collections.abc import Sequence
from datetime import timedelta

from mam.errors import JobRequestError, MamError
from mam.jobs.lanes import Lane, claim_next
from mam.jobs.lifecycle import claim_job, end_failed_attempt, hand_back, renew_lease
from mam.jobs.policy import JobPolicy
from mam.jobs.telemetry import JobStart, job_ended, job_started
from mam.models import Job
from mam.services import Services
from transcode.errors import TranscodeError

__all__ = ["Attempt", "human_reason", "worker_name"]

log = logging.getLogger(__name__)


def worker_name() -> str:
    """This process, as the catalog names a job's worker: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Attempt:
    """Claim ``job_id`` with :meth:`begin`; while it runs, a thread renews its lease every third of
    the lease; :meth:`end` stops the thread and settles a failure.

    Media that cannot be rendered (a :class:`~transcode.errors.TranscodeError`), or a request that
    no longer holds (a profile removed since: :class:`~mam.errors.JobRequestError`), fails the job at
    once; any other error is a passing fault, retried after the policy's backoff until the job's
    attempts are used up.

    With ``lanes`` (a worker's slot), the job claimed may be a higher lane's instead of ``job_id``
    (:func:`mam.jobs.lanes.claim_next`): :attr:`job_id` is then the claimed one, :attr:`offered` the
    one asked for. A job still running when the process's grace period runs out
    (``services.handing_back``) is given back (:attr:`handed_back`) instead of finished."""

    def __init__(
        self, services: Services, job_id: str, policy: JobPolicy | None = None, lanes: Sequence[Lane] = ()
    ) -> None:
        self.services = services
        self.job_id = job_id
        self.offered = job_id
        self.lanes = tuple(lanes)
        self.handed_back = False
        self.policy = policy or JobPolicy.from_settings(services.settings)
        self.number = 0
        """The attempt's number (the job's attempts once claimed); 0 if not claimed."""
        self.state = "missing"
        """The job's state when it was not ours to claim."""
        self.reason: str | None = None
        """Why the attempt failed, once ended with an error."""
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._start: JobStart | None = None

    def begin(self) -> bool:
        """Claim the job; False (and :attr:`state` says why) if it is not ours to run."""
        with self.services.session() as session:
            if self.lanes:
                job = claim_next(session, self.offered, self.lanes, self.policy, worker_name())
            else:
                job = claim_job(session, self.job_id, self.policy, worker_name())
            if job is None:
                current = session.get(Job, self.job_id, populate_existing=True)
                self.state = current.state if current is not None else "missing"
                return False
            self.number, self.state, self.job_id = job.attempts, job.state, job.id
            self._start = job_started(job)  # a log line and the metrics of mam.metrics
        self._heartbeat = threading.Thread(target=self._renew, name=f"mam-lease-{self.job_id[:8]}", daemon=True)
        self._heartbeat.start()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.policy.heartbeat_seconds):
            try:
                with self.services.session() as session:
                    if not renew_lease(session, self.job_id, self.number, self.policy):
                        return  # cancelled, ended, or taken up elsewhere: the render notices by itself
            except Exception:  # the catalog may be briefly unreachable: the lease has two more chances
                log.warning("renewing the lease of job %s failed", self.job_id, exc_info=True)

    def end(self, error: BaseException | None = None, *, permanent: bool = False) -> timedelta | None:
        """Stop renewing the lease; after ``error``, retry or fail the job by the policy.

        Returns the delay after which the job should be sent again, or ``None`` for no retry."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        if error is None and self.number and self.services.handing_back.is_set():
            with self.services.session() as session:
                self.handed_back = hand_back(session, self.job_id, self.number)
            if self.handed_back:
                log.info("job %s given back: this worker is stopping", self.job_id)
        if error is None or self.number == 0:
            self._report(None, None)
            return None
        permanent = permanent or isinstance(error, (TranscodeError, JobRequestError))
        self.reason = human_reason(error)
        if not isinstance(error, (MamError, TranscodeError)):
            log.error("job %s, attempt %d: unexpected fault", self.job_id, self.number, exc_info=error)
        with self.services.session() as session:
            delay = end_failed_attempt(session, self.job_id, self.number, self.reason, self.policy, permanent=permanent)
            if delay is None:
                current = session.get(Job, self.job_id, populate_existing=True)
                if current is not None and current.error:
                    self.reason = current.error
        self._report(error, delay)
        return delay

    def _report(self, error: BaseException | None, delay: timedelta | None) -> None:
        """The attempt's end, in the log and the metrics (never a reason for the job to fail)."""
        if self._start is not None:
            try:
                job_ended(self.services, self._start, error, self.reason, delay)
            except Exception:
                log.warning("reporting the end of job %s failed", self.job_id, exc_info=True)


DISK_FULL = (
    "the work disk is full (no space left where the worker renders, $MAM_HOME/work): free space there or give "
    "the worker a larger disk, then ask for the renditions again; nothing was registered"
)


def human_reason(error: BaseException) -> str:
    """What a person reads of a failed attempt: our own errors' messages are written for people;
    the system's refusals are said in its words; anything else is a fault of ours, detailed in the log
    (never an exception's name or a path)."""
    if isinstance(error, (MamError, TranscodeError)):
        return str(error)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    if isinstance(error, OSError) and error.strerror:
        return f"the system refused an operation: {error.strerror.lower()}"
    if isinstance(error, TimeoutError | ConnectionError):
        return "a service mam needs did not answer in time"
    return "an unexpected fault of mam stopped it (the log has the details)"
