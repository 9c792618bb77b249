"""What a file may be, and what the work on it may use: the probe's limits and a render's budget.

The probe refuses a picture or a duration beyond :class:`ProbeLimits`. A render's time and memory
are derived from measured facts (what the streams were seen to hold, the picture's size, how many
outputs are made) and bounded by :class:`RenderCeilings`, so a file that declares a long duration
can no longer give its render an unbounded time limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from transcode.mediainfo import MediaInfo

__all__ = ["ProbeLimits", "RenderCeilings", "RenderLimits", "render_limits"]

_MIN_SECONDS = 300.0
"""Every render may take five minutes, however short (process start, loudness pass, checks)."""
_HD_PIXELS = 1920 * 1080
_BASE_BYTES = 1536 << 20
"""The media libraries, their threads' stacks and the decoder of a small picture."""
_PER_OUTPUT_BYTES = 384 << 20
"""An output's encoder, its look-ahead and its filters (outputs are at most HD-sized)."""
_PER_SOURCE_PIXEL_BYTES = 512
"""Decoded source frames in flight (decoder references and threads, the split to every output)."""


@dataclass(frozen=True)
class ProbeLimits:
    """What the probe accepts; beyond it a file is refused with :class:`~transcode.errors.MediaLimitError`."""

    max_picture_side: int = 8192
    """Pixels on the long side of a stored picture."""
    max_duration: float = 24 * 3600.0
    """Seconds, declared by the file or shown by its packets."""


@dataclass(frozen=True)
class RenderCeilings:
    """The most any render may use, whatever the file says about itself."""

    time_factor: float = 10.0
    """A render may take this many times the duration it covers (at HD size; more for larger pictures)."""
    max_seconds: float = 24 * 3600.0
    """Wall-clock ceiling of one render job."""
    max_memory_bytes: int = 8 << 30
    """Address-space ceiling of one render's child process."""


@dataclass(frozen=True)
class RenderLimits:
    """The budget of one render job's child process."""

    timeout: float
    """Wall-clock seconds."""
    memory_bytes: int
    """Address space."""
    cpu_seconds: int
    """CPU time of all its threads (the wall-clock budget on every core)."""


def render_limits(
    info: MediaInfo, outputs: int, seconds: float | None, ceilings: RenderCeilings, cores: int = 1
) -> RenderLimits:
    """The budget of a render of ``outputs`` outputs covering ``seconds`` of ``info`` (all of it when None).

    The time follows the duration the streams were seen to hold when the probe read them to the end
    (else the declared one) and the picture's size; the memory follows the picture's size and the
    number of outputs. Both stop at their ceilings.
    """
    covered = seconds if seconds is not None else _shown_duration(info)
    video = info.primary_video
    pixels = video.width * video.height if video is not None else 0
    scale = max(1.0, pixels / _HD_PIXELS)
    timeout = min(ceilings.max_seconds, max(_MIN_SECONDS, ceilings.time_factor * covered * scale))
    memory = _BASE_BYTES + max(1, outputs) * _PER_OUTPUT_BYTES + pixels * _PER_SOURCE_PIXEL_BYTES
    return RenderLimits(timeout, min(ceilings.max_memory_bytes, memory), int(timeout * max(1, cores)))


def _shown_duration(info: MediaInfo) -> float:
    if info.measured_duration is not None:
        return min(info.duration, info.measured_duration) if info.duration > 0 else info.measured_duration
    return max(0.0, info.duration)
