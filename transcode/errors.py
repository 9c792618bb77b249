"""Errors raised by :mod:`transcode`.

::

    TranscodeError
    ├── UnreadableMediaError   the input is not media we can open (not media, corrupt, truncated)
    ├── ForbiddenInputError    the input's container format is not on the allow-list
    ├── MediaLimitError        the input's picture or duration is beyond what is accepted
    ├── ProfileError           a profile file is invalid
    ├── SpanError              an in/out point is not a timecode or number, reversed, or outside the source
    ├── RenderError            decoding, filtering or encoding failed while rendering
    │   └── OutputCheckError   a finished output does not match its profile (size, rate, loudness...)
    ├── MediaTimeoutError      the media process ran past its time limit (also a TimeoutError)
    ├── MediaMemoryError       the media process ran out of its memory limit (also a MemoryError)
    ├── MediaCrashError        the media process died (killed by a signal) before it could answer
    └── RenderCancelled        the job was cancelled and its media process stopped
"""

from __future__ import annotations

__all__ = [
    "ForbiddenInputError",
    "MediaCrashError",
    "MediaLimitError",
    "MediaMemoryError",
    "MediaTimeoutError",
    "OutputCheckError",
    "ProfileError",
    "RenderCancelled",
    "RenderError",
    "SpanError",
    "TranscodeError",
    "UnreadableMediaError",
    "media_reason",
]


class TranscodeError(Exception):
    """Root of every error raised by the transcode package."""


class UnreadableMediaError(TranscodeError):
    """The file could not be opened or decoded as media; the message says why in plain words."""


class ForbiddenInputError(TranscodeError):
    """The file's container format is not one we accept (playlists, concat lists, devices...)."""


class MediaLimitError(TranscodeError):
    """The file describes a picture larger, or a duration longer, than this server accepts (a size or
    length bomb, or a damaged header); the message gives the limit it exceeds."""


class ProfileError(TranscodeError):
    """A profile file is missing, malformed, or fails validation."""


class SpanError(TranscodeError, ValueError):
    """An in- or out-point is malformed (not seconds, or a timecode whose minutes or seconds reach 60 or
    whose frames reach the frame rate), the in-point is not before the out-point, or the span leaves the
    source; the message gives the valid range."""


class RenderError(TranscodeError):
    """Rendering failed part-way; no output of the failed run should be used."""


class MediaTimeoutError(TranscodeError, TimeoutError):
    """The media process ran longer than its wall-clock timeout (or used up its CPU seconds) and was
    killed; the file may be damaged or much longer than expected."""


class MediaMemoryError(TranscodeError, MemoryError):
    """The media process needed more memory than its limit allows; the message gives the limit."""


class MediaCrashError(TranscodeError):
    """The media process died without answering (segfault, abort, killed); the worker lives on. The
    message names the signal; a crash while reading a file usually means the file is corrupt."""


class RenderCancelled(TranscodeError):
    """The job was cancelled: its media process was stopped and its partial outputs deleted. Not a
    failure: catch it before TranscodeError to record the job as cancelled."""


class OutputCheckError(RenderError):
    """A finished output, probed again, does not match its profile; the message lists each mismatch."""


def media_reason(exc: BaseException) -> str:
    """What a media library's error means, in words for a message: FFmpeg's own phrase ("invalid data
    found when processing input") without its error number and the C function that returned it."""
    strerror = getattr(exc, "strerror", None)
    return str(strerror).lower() if strerror else str(exc)
