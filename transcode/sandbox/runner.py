"""The parent side of the sandbox: start the child, relay progress, enforce time, map every end.

Spawn, not fork: forking a process that has threads (dramatiq workers, PyAV encoders, OpenBLAS) is
unsafe. The child is stopped and reaped (terminate, then kill, then join) before
:func:`run_isolated` returns or raises.

A spawned child runs the program's main script again before it runs the work; for the ``mam``
command that imports the whole command line: 4.5 s of CPU a child where the media modules alone take
1.0 s, and a short proxy render 0.5 s. The work is a function of an importable module, so the child
is started without the script (:func:`_started_without_main`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TypeVar

from transcode.errors import (
    MediaCrashError,
    MediaMemoryError,
    MediaTimeoutError,
    RenderCancelled,
    RenderError,
    TranscodeError,
)
from transcode.sandbox.child import ChildFailure, ProgressFn, child_main

__all__ = ["Cancel", "Progress", "run_isolated"]

T = TypeVar("T")
Cancel = threading.Event | Callable[[], bool]
"""An event to set, or a function returning True, to stop the work (checked every 0.2 s)."""

_log = logging.getLogger(__name__)
_POLL_SECONDS = 0.2
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE}


@dataclass(frozen=True)
class Progress:
    fraction: float
    """Share of the work done, 0..1, strictly increasing from one report to the next; 1.0 last."""
    fps: float | None = None
    """Frames per second so far (when the frame count is known)."""
    eta_seconds: float | None = None
    """Seconds still to go at the rate so far."""


def run_isolated(
    work: Callable[[ProgressFn], T],
    *,
    timeout: float,
    memory_bytes: int | None = None,
    cpu_seconds: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: Cancel | None = None,
    task: str = "running media work",
    total_frames: int | None = None,
) -> T:
    """Call ``work(progress)`` in a child process under limits and return what it returns.

    ``work`` must pickle (a top-level function of an importable module, not of the main script, or a
    functools.partial of one) and so must its result. ``task`` names the work in messages ("rendering
    clip.mp4"). ``timeout`` is wall-clock seconds from the start of the child; ``cpu_seconds`` counts
    the CPU time of all its threads; ``memory_bytes`` caps its address space (the media libraries
    alone take about 0.6 GiB of it).
    Errors of ours (and OSErrors such as FileNotFoundError) come back as they were raised.
    """
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    args = (sender, work, memory_bytes, cpu_seconds, os.getpid())
    child = ctx.Process(target=child_main, args=args, name="mam-media", daemon=True)
    is_cancelled = cancel.is_set if isinstance(cancel, threading.Event) else cancel
    meter = _Meter(total_frames)
    deadline = time.monotonic() + timeout
    finished = False
    try:
        _started_without_main(child)
        sender.close()  # the child's copy must be the only one, so that its death reads as EOF
        while True:
            if is_cancelled is not None and is_cancelled():
                raise RenderCancelled(f"{task} was cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MediaTimeoutError(
                    f"{task} took longer than {timeout:g} s and was stopped; the file may be damaged "
                    "or much longer than expected (allow more time only if it is really that long)"
                )
            if not receiver.poll(min(_POLL_SECONDS, remaining)):
                continue
            try:
                kind, value = receiver.recv()
            except EOFError:
                break  # died without a last word: judged by its exit status below
            if kind == "started":
                meter.start()
            elif kind == "progress":
                _report(meter.update(value), on_progress)
            else:
                finished = True
                if kind == "result":
                    _report(meter.update(1.0), on_progress)
                    return value  # type: ignore[no-any-return]
                raise _from_failure(value, task, memory_bytes)
    finally:
        _stop(child, finished)
        exitcode = child.exitcode
        child.close()
        sender.close()  # again, in case start() failed (work that does not pickle)
        receiver.close()
    raise _from_exit(exitcode, task, memory_bytes, cpu_seconds)


_MAIN_LOCK = threading.Lock()


def _started_without_main(child: BaseProcess) -> None:
    """Start a spawned child that does not run this program's main script or module: multiprocessing
    runs it again in the child when ``__main__`` has a ``__spec__`` or a ``__file__``, and leaves it
    alone when it has neither. Both are hidden for the moment of the start only, under a lock."""
    main = sys.modules.get("__main__")
    if main is None or (getattr(main, "__file__", None) is None and getattr(main, "__spec__", None) is None):
        child.start()
        return
    with _MAIN_LOCK:
        saved: dict[str, object] = {n: main.__dict__.pop(n) for n in ("__file__", "__spec__") if n in main.__dict__}
        main.__spec__ = None
        try:
            child.start()
        finally:
            main.__dict__.update(saved)
            if "__spec__" not in saved:
                del main.__spec__


def _report(progress: Progress | None, on_progress: Callable[[Progress], None] | None) -> None:
    if progress is not None and on_progress is not None:
        on_progress(progress)


class _Meter:
    """Turns the child's fractions into Progress: increasing only, rate and ETA from elapsed time."""

    def __init__(self, total_frames: int | None) -> None:
        self.total_frames, self.started, self.last = total_frames, time.monotonic(), -1.0

    def start(self) -> None:
        self.started = time.monotonic()

    def update(self, fraction: float) -> Progress | None:
        fraction = min(1.0, max(0.0, float(fraction)))
        if fraction <= self.last:
            return None
        self.last = fraction
        elapsed = time.monotonic() - self.started
        fps = self.total_frames * fraction / elapsed if self.total_frames and elapsed > 0 else None
        eta = elapsed * (1.0 - fraction) / fraction if fraction > 0 else None
        return Progress(fraction, fps, eta)


def _stop(child: BaseProcess, finished: bool) -> None:
    """Reap the child: a moment's wait if it gave its answer, else terminate, then kill."""
    if child.pid is None:  # never started
        return
    child.join(2.0 if finished else 0.0)
    if child.is_alive():
        child.terminate()
        child.join(1.0)
    if child.is_alive():
        child.kill()
        child.join()


def _from_failure(failure: ChildFailure, task: str, memory_bytes: int | None) -> Exception:
    """The error to raise for the child's last word. Its message is for people: what the child raised
    (a type name, a library's words) goes to a note and the log, never into the message."""
    error: Exception
    if failure.kind == "memory":
        limit = f" (limit {_size(memory_bytes)})" if memory_bytes else ""
        error = MediaMemoryError(
            f"{task} ran out of memory{limit}; the file may be damaged, or needs a larger memory limit"
        )
    elif failure.kind == "error" and isinstance(failure.exc, TranscodeError | OSError):
        error = failure.exc
    else:
        error = RenderError(
            f"{task} failed on an unexpected fault of the media process (not a verdict on the file; "
            "the details are in the server log)"
        )
        _log.error("%s failed unexpectedly: %s\n%s", task, failure.text, failure.child_traceback)
    if failure.kind != "error":
        error.add_note(f"in the media process: {failure.text}")
    error.add_note(f"in the media process:\n{failure.child_traceback}")
    return error


def _from_exit(code: int | None, task: str, memory_bytes: int | None, cpu_seconds: int | None) -> Exception:
    if code is None or code >= 0:
        return MediaCrashError(f"the media process exited (status {code}) without an answer while {task}")
    try:
        sig: signal.Signals | None = signal.Signals(-code)
    except ValueError:
        sig = None
    what = f"signal {-code} {sig.name}" if sig else f"signal {-code}"
    if sig == signal.SIGXCPU:  # the soft CPU limit (the hard one, SIGKILL, follows only if ignored)
        return MediaTimeoutError(f"{task} used more than its {cpu_seconds} s of CPU time and was stopped")
    if sig in _CRASH_SIGNALS:
        return MediaCrashError(f"the media process crashed ({what}) while {task}; the file is probably corrupt")
    hint = " (perhaps by the system's out-of-memory killer)" if sig == signal.SIGKILL else ""
    limit = f"; its memory limit was {_size(memory_bytes)}" if memory_bytes else ""
    return MediaCrashError(f"the media process was killed ({what}){hint} while {task}{limit}")


def _size(count: int | None) -> str:
    value = float(count or 0)
    return f"{value / (1 << 30):.1f} GiB" if value >= 1 << 30 else f"{value / (1 << 20):.0f} MiB"
