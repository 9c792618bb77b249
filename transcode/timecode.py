"""SMPTE timecode arithmetic (non-drop-frame counting; drop-frame strings are read as labels)."""

from __future__ import annotations

import re

from transcode.errors import SpanError

__all__ = ["Timecode", "format_frames", "parse_timecode"]

_PATTERN = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{2,3})$")


class Timecode:
    """A start timecode and a nominal integer frame base (25 for 25/50i, 30 for 29.97)."""

    def __init__(self, frames: int, base: int, drop_separator: bool = False) -> None:
        self.frames = frames
        self.base = base
        self.separator = ";" if drop_separator else ":"

    def at_seconds(self, seconds: float) -> str:
        """The timecode label ``seconds`` after the start."""
        return format_frames(self.frames + round(seconds * self.base), self.base, self.separator)


def parse_timecode(text: str, base: int, *, strict: bool = False) -> Timecode:
    """Parse ``HH:MM:SS:FF`` (or ``;`` before frames) at an integer frame base.

    :class:`SpanError` (also a ValueError) for anything else; with ``strict`` (a point a person gave)
    also for a label no clock shows: hours from 24, minutes or seconds from 60, frames from ``base``
    (``00:00:00:25`` at 25 frames/s). A label read from a file is taken as it is."""
    match = _PATTERN.match(text.strip())
    if not match or base <= 0:
        raise SpanError(f"not a timecode: {text[:40]!r} (expected HH:MM:SS:FF)")
    hh, mm, ss, sep, ff = match.groups()
    hours, minutes, seconds, frames = int(hh), int(mm), int(ss), int(ff)
    if strict:
        _check_clock(text.strip(), (hours, minutes, seconds, frames), base)
    total = ((hours * 60 + minutes) * 60 + seconds) * base + frames
    return Timecode(total, base, drop_separator=sep == ";")


def _check_clock(text: str, parts: tuple[int, int, int, int], base: int) -> None:
    for value, limit, what in zip(parts, (24, 60, 60, base), ("hours", "minutes", "seconds", "frames"), strict=True):
        if value >= limit:
            at = f" at {base} frames/s" if what == "frames" else ""
            raise SpanError(f"{text} is not a timecode{at}: its {what} must be below {limit}")


def format_frames(frames: int, base: int, separator: str = ":") -> str:
    frames %= 24 * 3600 * base
    seconds, ff = divmod(frames, base)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{separator}{ff:02d}"
