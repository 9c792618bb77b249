"""Small generated clips for the engine tests: any frame rate, container and codecs.

Every picture is a flat grey whose level says which frame it is (16 + 3n), so a test can tell
which source picture (or which two, for the fields of an interlaced frame) an output frame shows.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

__all__ = ["LEVEL_STEP", "clip", "field_numbers", "picture_number"]

LEVEL_STEP = 3
_FIELD_TT = 2  # AVFieldOrder AV_FIELD_TT


def picture_number(level: float) -> int:
    """The source frame a grey level belongs to."""
    return round((level - 16) / LEVEL_STEP)


def clip(
    path: Path,
    rate: Fraction,
    *,
    seconds: float = 1.0,
    size: tuple[int, int] = (160, 96),
    format_name: str | None = None,
    video_codec: str = "libx264",
    pixel_format: str = "yuv420p",
    video_options: dict[str, str] | None = None,
    interlaced: bool = False,
    audio_codec: str | None = None,
    audio_layout: str = "stereo",
    audio_format: str = "fltp",
    timecode: str | None = None,
    container_options: dict[str, str] | None = None,
    quiet_until: float = 0.0,
) -> Path:
    """``seconds`` of numbered frames at ``rate`` (a Fraction such as 30000/1001), optionally with a
    440 Hz tone of amplitude 0.3, or 0.1 (about 9.5 dB quieter) before ``quiet_until`` seconds."""
    frames = round(seconds * rate)
    width, height = size
    with av.open(str(path), "w", format=format_name, options=container_options or {}) as out:
        if timecode:
            out.metadata["timecode"] = timecode
        video = out.add_stream(video_codec, rate=rate, options=video_options or {})
        assert isinstance(video, VideoStream)
        video.width, video.height, video.pix_fmt = width, height, pixel_format
        video.codec_context.time_base = 1 / rate
        if interlaced:
            video.codec_context.field_order = _FIELD_TT
        audio: AudioStream | None = None
        if audio_codec is not None:
            added = out.add_stream(audio_codec, rate=48000, layout=audio_layout)
            assert isinstance(added, AudioStream)
            audio = added
        sent = 0
        for n in range(frames):
            picture = VideoFrame.from_ndarray(np.full((height, width), 16 + LEVEL_STEP * n, np.uint8), format="gray")
            picture.pts = n
            picture.time_base = 1 / rate
            out.mux(video.encode(picture.reformat(format=pixel_format)))
            if audio is not None:
                until = round(48000 * (n + 1) / rate)
                out.mux(audio.encode(_tone(sent, until - sent, audio_layout, audio_format, quiet_until)))
                sent = until
        out.mux(video.encode(None))
        if audio is not None:
            out.mux(audio.encode(None))
    return path


def _tone(start: int, count: int, layout: str, fmt: str, quiet_until: float) -> AudioFrame:
    channels = av.AudioLayout(layout).nb_channels
    t = (start + np.arange(count)) / 48000
    wave = (np.where(t < quiet_until, 0.1, 0.3) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    if fmt == "s16":
        data = np.tile((wave * 32767).astype(np.int16), (channels, 1)).T.reshape(1, -1)
    else:
        data = np.tile(wave, (channels, 1))
    frame = AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout=layout)
    frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
    return frame


def field_numbers(path: Path) -> list[tuple[int, int]]:
    """Per decoded frame, the source frame numbers its top and its bottom field show."""
    result = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            gray = frame.to_ndarray(format="gray").astype(np.float64)
            h, w = gray.shape
            middle = gray[h // 8 * 2 : 3 * h // 4, w // 3 : 2 * w // 3]  # from an even (top-field) line
            top, bottom = middle[0::2].mean(), middle[1::2].mean()
            result.append((picture_number(top), picture_number(bottom)))
    return result
