"""Functions the sandbox tests run in a child process (importable there by module name).

Each takes the progress callable last, as :func:`transcode.sandbox.run_isolated` passes it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from transcode.errors import UnreadableMediaError
from transcode.sandbox import ProgressFn


def crash_with_segfault(progress: ProgressFn) -> None:
    progress(0.5)
    os.kill(os.getpid(), signal.SIGSEGV)


def sleep_after_noting_pid(pid_file: Path, seconds: float, progress: ProgressFn) -> None:
    pid_file.write_text(str(os.getpid()))
    time.sleep(seconds)


def allocate(count: int, progress: ProgressFn) -> int:
    return len(bytearray(count))


def spin(seconds: float, progress: ProgressFn) -> int:
    end, turns = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        turns += 1
    return turns


def big_result(count: int, progress: ProgressFn) -> bytes:
    return b"x" * count


def raise_value_error(progress: ProgressFn) -> None:
    raise ValueError("a value we did not expect")


def raise_unreadable(progress: ProgressFn) -> None:
    raise UnreadableMediaError("clip.mp4: not a media file we can read")


def return_unpicklable(progress: ProgressFn) -> object:
    return lambda: None


def report_out_of_order(progress: ProgressFn) -> str:
    for fraction in (0.2, 0.1, 0.5, 0.5, 0.7):
        progress(fraction)
    return "done"


def address_space(progress: ProgressFn) -> dict[str, str]:
    """The child's own view of its memory (VmSize, VmPeak, VmRSS) and thread count."""
    fields = ("VmSize", "VmPeak", "VmRSS", "Threads")
    with open("/proc/self/status") as status:
        return {k: v.strip() for k, v in (line.split(":", 1) for line in status) if k in fields}
