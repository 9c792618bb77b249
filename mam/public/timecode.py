"""Times as people read them in the public representations."""

from __future__ import annotations

__all__ = ["timecode"]


def timecode(seconds: float | None) -> str | None:
    """``HH:MM:SS.mmm`` for a time in seconds."""
    if seconds is None:
        return None
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
