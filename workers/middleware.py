"""Job policy as dramatiq middleware, the way dramatiq itself adds retries and time limits.

Around every job message, :class:`JobAttempts` runs one :class:`~mam.jobs.attempts.Attempt`:

- ``before_process_message`` is a worker slot come free: it claims, among the worker's lanes, the
  oldest claimable job of the highest lane waiting, the message's own only if it is that one
  (:func:`mam.jobs.lanes.claim_next`; a job passed over is sent again at once). Claim once: a job that
  is done, cancelled, running under a live lease, or still in its backoff raises ``SkipMessage``, so
  the actor never runs and the message is acked. It starts the lease's heartbeat, and the actor asks
  :meth:`JobAttempts.claimed` which job to run;
- ``after_process_message`` stops the heartbeat and, after an error, lets the catalog's policy
  decide: fail the job with its reason, or put it back in the queue and send it again with the
  policy's backoff as the message's delay; a job given back by a stopping worker is sent again.

It also keeps the ids of the messages this process has handed to the broker and not yet seen
acknowledged, which is all that is known of an in-process (stub) broker's messages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dramatiq import Broker, Message
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware, SkipMessage
from dramatiq.middleware.time_limit import TimeLimitExceeded
from sqlalchemy import select

from mam.jobs.attempts import Attempt
from mam.jobs.lanes import LANES, Lane
from mam.models import Job, JobState
from mam.services import Services

__all__ = ["JobAttempts", "Send", "message_key"]

Send = Callable[[str, timedelta | None], None]
"""Send a job id to the broker, after an optional delay."""


def message_key(message: Message[Any] | MessageProxy) -> str:
    """The id the broker keeps the message under (Redis gives each enqueue an id of its own)."""
    options = message.options
    return str(options.get("redis_message_id") or message.message_id)


class JobAttempts(Middleware):
    def __init__(self, services: Services, actor_names: set[str], send: Send, lanes: tuple[Lane, ...] = LANES) -> None:
        self.services = services
        self.actor_names = actor_names
        self.send = send
        self.lanes = lanes
        self._attempts: dict[str, Attempt] = {}
        self._sent: set[str] = set()
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def running(self) -> int:
        """Job attempts running in this process now (its busy slots)."""
        with self._lock:
            return len(self._attempts)

    def claimed(self, offered: str) -> str:
        """The job this thread's slot claimed for a message of ``offered``."""
        return str(getattr(self._local, "job_id", None) or offered)

    def held(self, message_id: str) -> bool:
        """Whether this process handed the message to the broker and has not seen it acknowledged."""
        with self._lock:
            return message_id in self._sent

    def after_enqueue(self, broker: Broker, message: Message[Any], delay: int | None) -> None:
        with self._lock:
            self._sent.add(message_key(message))

    def after_ack(self, broker: Broker, message: MessageProxy) -> None:
        with self._lock:
            self._sent.discard(message_key(message))

    after_nack = after_ack

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        if message.actor_name not in self.actor_names:
            return
        self._local.job_id = None
        attempt = Attempt(self.services, str(message.args[0]), lanes=self.lanes)
        if not attempt.begin():
            raise SkipMessage(f"job {attempt.job_id} is {attempt.state}: not ours to run now")
        if attempt.job_id != attempt.offered:
            self._pass_over(attempt.offered)
        self._local.job_id = attempt.job_id
        with self._lock:
            self._attempts[message.message_id] = attempt

    def _pass_over(self, job_id: str) -> None:
        """The slot took a higher lane's job: the one it was offered stays queued, sent again now."""
        with self.services.session() as session:
            state = session.scalar(select(Job.state).where(Job.id == job_id))
        if state == JobState.QUEUED:
            self.send(job_id, None)

    def after_process_message(
        self, broker: Broker, message: MessageProxy, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        with self._lock:
            attempt = self._attempts.pop(message.message_id, None)
        if attempt is None:
            return
        timed_out = isinstance(exception, TimeLimitExceeded)
        if timed_out:
            exception = TimeoutError("the job ran longer than any render is allowed (MAM_RENDER_TIMEOUT_MAX_HOURS)")
        delay = attempt.end(exception, permanent=timed_out)
        if delay is not None or attempt.handed_back:
            self.send(attempt.job_id, delay)
