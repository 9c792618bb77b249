"""The child side of the sandbox: set limits, run the work, send back one answer.

Messages on the pipe are ``(kind, value)`` tuples: ``("started", pid)`` once the limits are set,
any number of ``("progress", fraction)``, then exactly one ``("result", value)`` or
``("failure", ChildFailure)``. A child that dies sends no last message; the parent then reads EOF.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import resource
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal

from transcode.errors import TranscodeError

__all__ = ["CPU_GRACE_SECONDS", "ChildFailure", "ProgressFn", "child_main"]

ProgressFn = Callable[[float], None]
"""What the work receives in the child: call it with the fraction done (0..1)."""

CPU_GRACE_SECONDS = 2
"""Between SIGXCPU at the soft CPU limit and SIGKILL at the hard one."""

_M_ARENA_MAX = -8
_PR_SET_PDEATHSIG = 1
_NEAR_LIMIT = 0.85
"""A failure after the address space peaked above this share of the limit is taken as out of memory
(C libraries report a refused allocation in their own words, e.g. x264's "malloc failed")."""


@dataclass(frozen=True)
class ChildFailure:
    kind: Literal["error", "memory", "unexpected"]
    """``error``: ``exc`` is the exception itself (ours or an OSError), to raise as it is."""
    exc: BaseException | None
    text: str
    """``TypeName: message`` of what was raised."""
    child_traceback: str


def child_main(
    conn: Connection,
    work: Callable[[ProgressFn], Any],
    memory_bytes: int | None,
    cpu_seconds: int | None,
    parent: int,
) -> None:
    """Entry point of the child process; never returns normally (exits with ``os._exit``)."""
    lock = threading.Lock()

    def progress(fraction: float) -> None:
        with lock:
            conn.send(("progress", float(fraction)))

    try:
        _limit(memory_bytes, cpu_seconds, parent)
        conn.send(("started", os.getpid()))
        message: tuple[str, object] = ("result", work(progress))
    except BaseException as exc:
        message = ("failure", _failure(exc, memory_bytes))
    try:
        with lock:
            conn.send(message)
    except Exception as exc:  # the result would not pickle, or no memory was left to pickle it
        with contextlib.suppress(Exception), lock:
            conn.send(("failure", _failure(exc, memory_bytes)))
    conn.close()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)  # now: never wait at interpreter exit for threads the work left behind


def _limit(memory_bytes: int | None, cpu_seconds: int | None, parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    with contextlib.suppress(AttributeError):
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # Linux: die with the worker, never orphaned
    if os.getppid() != parent:  # the worker died before the line above
        os._exit(1)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes is not None:
        with contextlib.suppress(AttributeError):
            libc.mallopt(_M_ARENA_MAX, 2)  # each thread's 64 MiB malloc arena counts against RLIMIT_AS
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if cpu_seconds is not None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + CPU_GRACE_SECONDS))


def _peak_address_space() -> int:
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0


def _failure(exc: BaseException, memory_bytes: int | None) -> ChildFailure:
    text = f"{type(exc).__name__}: {exc}"
    try:
        child_traceback = "".join(traceback.format_exception(exc))
    except BaseException:
        child_traceback = text
    chain: list[BaseException] = [exc]
    while (cause := chain[-1].__cause__ or chain[-1].__context__) is not None and len(chain) < 10:
        chain.append(cause)
    if (
        any(isinstance(e, MemoryError) for e in chain)
        or "can't start new thread" in text
        or (memory_bytes and _peak_address_space() > _NEAR_LIMIT * memory_bytes)
    ):
        return ChildFailure("memory", None, text, child_traceback)
    if isinstance(exc, TranscodeError | OSError):
        try:
            pickle.loads(pickle.dumps(exc))
            return ChildFailure("error", exc.with_traceback(None), text, child_traceback)
        except Exception:
            pass
    return ChildFailure("unexpected", None, text, child_traceback)
