"""The fan-out of events to the listeners of one process (the SSE streams of an API process).

One thread per process reads every new event once, in id order, and hands each to the listeners of
its tenant. It is woken:

- on PostgreSQL by ``NOTIFY mam_events`` (sent by the transaction that wrote the event, whatever
  process it ran in: a worker on another machine included), through a connection of its own that
  ``LISTEN``\\s, reconnecting when it drops;
- by this process's own commits of events (:func:`~mam.events.store.on_events_committed`);
- and at least every ``poll`` seconds (0.1 s on SQLite, where other processes, e.g. ``mam ingest``,
  cannot notify; 5 s on PostgreSQL, a safety net for notifications lost while reconnecting).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mam.events.store import CHANNEL, events_after, latest_event_id, on_events_committed
from mam.models import Event

__all__ = ["EventBus", "EventRecord", "Listener"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventRecord:
    """An event as read from the catalog, detached from any session (safe to pass between threads)."""

    id: int
    tenant_id: str
    type: str
    subject: str
    payload: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: Event) -> EventRecord:
        return cls(row.id, row.tenant_id, row.type, row.subject, dict(row.payload), row.created_at)


Listener = Callable[[EventRecord], None]
"""Called from the bus's thread: must return at once (hand the event over, e.g. to an event loop)."""


def _libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class EventBus:
    def __init__(self, engine: Engine, sessions: sessionmaker[Session], poll: float | None = None) -> None:
        self.engine = engine
        self.sessions = sessions
        self.postgres = engine.dialect.name == "postgresql"
        self.poll = poll if poll is not None else (5.0 if self.postgres else 0.1)
        self.cursor = 0
        self._listeners: dict[str, dict[int, Listener]] = {}
        self._next_key = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._undo_hook: Callable[[], None] | None = None
        self.listening = threading.Event()
        """Set once the PostgreSQL connection LISTENs (at once elsewhere)."""
        self.closing = threading.Event()
        """Set when the process stops: open streams end (their clients resume elsewhere)."""

    def start(self) -> None:
        with self.sessions() as session:
            self.cursor = latest_event_id(session)
        self._undo_hook = on_events_committed(self.sessions, self.wake)
        self._threads.append(threading.Thread(target=self._run, name="mam-event-bus", daemon=True))
        if self.postgres:
            self._threads.append(threading.Thread(target=self._listen, name="mam-event-listen", daemon=True))
        else:
            self.listening.set()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self.closing.set()
        self._stop.set()
        self._wake.set()
        if self._undo_hook is not None:
            self._undo_hook()
        for thread in self._threads:
            thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def subscribe(self, tenant_id: str, listener: Listener) -> Callable[[], None]:
        """Hand ``listener`` each new event of ``tenant_id``; returns the unsubscribe."""
        with self._lock:
            key = self._next_key
            self._next_key += 1
            self._listeners.setdefault(tenant_id, {})[key] = listener

        def unsubscribe() -> None:
            with self._lock:
                mine = self._listeners.get(tenant_id, {})
                mine.pop(key, None)
                if not mine:
                    self._listeners.pop(tenant_id, None)

        return unsubscribe

    @property
    def listeners(self) -> int:
        with self._lock:
            return sum(len(m) for m in self._listeners.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            try:
                self._dispatch_new()
            except Exception:  # the catalog may be briefly unreachable: next round
                log.exception("reading new events failed")
                self._stop.wait(1.0)

    def _dispatch_new(self) -> None:
        while True:
            with self.sessions() as session:
                rows = [EventRecord.of(e) for e in events_after(session, self.cursor, limit=1000)]
            for record in rows:
                with self._lock:
                    listeners = list(self._listeners.get(record.tenant_id, {}).values())
                for listener in listeners:
                    try:
                        listener(record)
                    except Exception:
                        log.exception("an event listener failed")
                self.cursor = record.id
            if len(rows) < 1000:
                return

    def _listen(self) -> None:
        url = _libpq_url(self.engine)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self._wake.set()  # what was written while not listening
                    while not self._stop.is_set():
                        for _ in connection.notifies(timeout=1.0, stop_after=1000):
                            self._wake.set()
            except psycopg.Error as exc:
                if self._stop.is_set():
                    return
                log.warning("listening for events failed (%s); trying again", type(exc).__name__)
                self._stop.wait(1.0)
