"""What the probe trusts in a file's own description, and what it accepts.

A damaged file can make any property of a stream fail to read (a codec context missing, a layout
with no channels, a rotation that is not a number): :func:`fact` reads one such property and gives
a default instead of an exception. :func:`reconcile_duration` weighs a file's declared duration
against what its packets show, within :class:`ProbeLimits`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import av

from transcode.errors import MediaLimitError
from transcode.limits import ProbeLimits

__all__ = ["fact", "reconcile_duration"]

T = TypeVar("T")

_UNREADABLE = (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError)


def fact(read: Callable[[], T], default: T) -> T:
    """``read()``, or ``default`` when the damaged file makes reading the property fail."""
    try:
        return read()
    except (*_UNREADABLE, av.error.FFmpegError):
        return default


def reconcile_duration(name: str, declared: float, seen: float | None, complete: bool, limits: ProbeLimits) -> float:
    """The duration to report for a file that declares ``declared`` seconds and whose packets were
    seen to run for ``seen`` seconds (to the end of the file when ``complete``).

    The declared duration stands when it is plausible, so that a truncated file still reads as
    one (its render stops short and says so). A declared duration that is missing or longer than the
    limit gives way to what the streams show when they were read to the end; beyond the limit either
    way, the file is refused.
    """
    cap = limits.max_duration
    measured = seen if complete else None
    duration = declared
    if measured is not None and (declared <= 0 or declared > cap):
        duration = measured
    if duration > cap:
        raise MediaLimitError(
            f"{name}: it declares a duration of {_hours(duration)}, more than the {_hours(cap)} accepted, and "
            "its streams could not be read to the end to show a shorter one; the file is damaged or crafted"
        )
    if seen is not None and seen > cap:
        raise MediaLimitError(
            f"{name}: its packets run for {_hours(seen)}, more than the {_hours(cap)} accepted; "
            "the file is damaged or crafted"
        )
    return duration


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 1:
        return f"{seconds:g} s"
    return f"{hours:,.1f} hours" if hours < 1e6 else f"{hours:.3g} hours"
