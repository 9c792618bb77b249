"""Typed technical description of a media file, as produced by :func:`transcode.probe.probe`.

Values are in plain units (seconds, pixels, Hz) so that the catalog can store the model as JSON
and the API can return it unchanged.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["AudioStreamInfo", "FieldOrder", "MediaInfo", "MediaKind", "VideoStreamInfo"]

FieldOrder = Literal["progressive", "tff", "bff", "unknown"]
MediaKind = Literal["video", "audio"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VideoStreamInfo(_Frozen):
    index: int
    codec: str
    profile: str | None = None
    pixel_format: str | None = None
    width: int
    height: int
    sample_aspect_ratio: str = "1:1"
    display_aspect_ratio: str
    rotation: int = 0
    """Clockwise degrees (0, 90, 180, 270) to turn the stored picture to show it upright."""
    display_width: int
    display_height: int
    """Size of the upright picture with square pixels (rotation and pixel aspect applied)."""
    frame_rate: float
    """Nominal frame rate in frames per second (e.g. 25.0, 29.97)."""
    frame_rate_fraction: str
    variable_frame_rate: bool = False
    field_order: FieldOrder = "unknown"
    bit_rate: int | None = None
    duration: float | None = None
    frame_count: int | None = None

    @property
    def interlaced(self) -> bool:
        return self.field_order in ("tff", "bff")

    @property
    def rate(self) -> Fraction:
        return Fraction(self.frame_rate_fraction)


class AudioStreamInfo(_Frozen):
    index: int
    codec: str
    sample_rate: int
    channels: int
    channel_layout: str
    sample_format: str | None = None
    bit_rate: int | None = None
    duration: float | None = None
    language: str | None = None


class MediaInfo(_Frozen):
    container: str
    """Demuxer name(s) as ffmpeg reports them, e.g. ``mov,mp4,m4a,3gp,3g2,mj2``."""
    format_long_name: str | None = None
    duration: float
    """Seconds, as the file declares them (or as its streams show them when the declaration is missing or
    beyond the accepted limit)."""
    measured_duration: float | None = None
    """Seconds from the first timestamp to the end of the last packet, when the probe read to the file's
    end (a truncated or lying header declares more than this); ``None`` when it could not tell."""
    start_time: float = 0.0
    bit_rate: int | None = None
    size: int
    start_timecode: str | None = None
    """SMPTE start timecode (``HH:MM:SS:FF``, ``;`` before frames for drop-frame), if the file carries one."""
    video: list[VideoStreamInfo] = []
    audio: list[AudioStreamInfo] = []
    tags: dict[str, str] = {}

    @property
    def kind(self) -> MediaKind:
        return "video" if self.video else "audio"

    @property
    def primary_video(self) -> VideoStreamInfo | None:
        return self.video[0] if self.video else None

    @property
    def audio_channels(self) -> int:
        return sum(a.channels for a in self.audio)
