"""SMPTE timecode arithmetic (non-drop-frame counting; drop-frame strings are read as labels)."""

from __future__ import annotations

import re

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


def parse_timecode(text: str, base: int) -> Timecode:
    """Parse ``HH:MM:SS:FF`` (or ``;`` before frames) at an integer frame base."""
    match = _PATTERN.match(text.strip())
    if not match or base <= 0:
        raise ValueError(f"not a timecode: {text!r} (expected HH:MM:SS:FF)")
    hours, minutes, seconds, sep, frames = match.groups()
    total = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * base + int(frames)
    return Timecode(total, base, drop_separator=sep == ";")


def format_frames(frames: int, base: int, separator: str = ":") -> str:
    frames %= 24 * 3600 * base
    seconds, ff = divmod(frames, base)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{separator}{ff:02d}"
