"""Probe untrusted files in one long-lived child process.

Ingest probes every file it is given; a fresh process per file would cost about 0.2 s each. The
prober keeps one sandboxed child (memory limit, no core dumps, dies with its parent) and sends it
paths one at a time. A file that crashes or hangs the child costs that child only: it is killed,
the caller gets a MediaCrashError or MediaTimeoutError, and the next probe starts a new child.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from transcode.errors import MediaCrashError, MediaTimeoutError, TranscodeError, UnreadableMediaError
from transcode.inputs import label
from transcode.mediainfo import MediaInfo
from transcode.probe import ProbeLimits, probe
from transcode.sandbox.child import _limit

__all__ = ["Prober"]

_log = logging.getLogger(__name__)


def _serve(conn: Connection, memory_bytes: int | None, parent: int) -> None:
    """The child: probe each path received, answer with the MediaInfo or the error."""
    _limit(memory_bytes, None, parent)
    while True:
        try:
            path, allowed, limits = conn.recv()
        except EOFError:
            os._exit(0)
        try:
            conn.send(("ok", probe(Path(path), allowed_formats=allowed, limits=limits)))
        except (TranscodeError, OSError) as exc:
            conn.send(("error", exc))
        except Exception as exc:  # a fault of the probe itself: a plain answer, the details in a note
            error = UnreadableMediaError(
                f"{label(Path(path))}: the file is damaged in a way the probe could not describe; "
                "it cannot be read as media"
            )
            error.add_note(f"in the probe process: {type(exc).__name__}: {exc}")
            conn.send(("error", error))


class Prober:
    """Thread-safe; one probe at a time through one child (probes are quick).

    ``timeout`` bounds each probe (wall clock, waiting for the child's answer); ``limits`` are the
    picture size and duration a file may have (:class:`~transcode.probe.ProbeLimits`).
    """

    def __init__(
        self, timeout: float = 30.0, memory_bytes: int | None = 2 << 30, limits: ProbeLimits | None = None
    ) -> None:
        self.timeout, self.memory_bytes = timeout, memory_bytes
        self.limits = limits or ProbeLimits()
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._conn: Connection | None = None

    def probe(self, path: Path, allowed_formats: frozenset[str] | None = None) -> MediaInfo:
        with self._lock:
            conn = self._connection()
            conn.send((str(path), allowed_formats, self.limits))
            if not conn.poll(self.timeout):
                self._stop()
                raise MediaTimeoutError(
                    f"probing {label(path)} took longer than {self.timeout:g} s; the file is probably damaged"
                )
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                code = self._stop()
                raise MediaCrashError(
                    f"the media process crashed (exit {code}) while probing {label(path)}; the file is probably corrupt"
                ) from None
        if kind == "error":
            assert isinstance(payload, BaseException)
            for note in getattr(payload, "__notes__", ()):
                _log.warning("probing %s: %s", path, note)
            raise payload
        assert isinstance(payload, MediaInfo)
        return payload

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _connection(self) -> Connection:
        if self._child is not None and self._child.is_alive() and self._conn is not None:
            return self._conn
        self._stop()
        ctx = multiprocessing.get_context("spawn")
        parent_end, child_end = ctx.Pipe()
        child = ctx.Process(
            target=_serve, args=(child_end, self.memory_bytes, os.getpid()), name="mam-probe", daemon=True
        )
        child.start()
        child_end.close()
        self._child, self._conn = child, parent_end
        return parent_end

    def _stop(self) -> int | None:
        child, conn = self._child, self._conn
        self._child = self._conn = None
        if conn is not None:
            conn.close()
        if child is None:
            return None
        child.join(timeout=1)
        if child.is_alive():
            child.kill()
            child.join(timeout=5)
        return child.exitcode
