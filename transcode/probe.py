"""Technical probe of one media file: :func:`probe` → :class:`~transcode.mediainfo.MediaInfo`.

The file is opened with PyAV under a protocol allow-list (local files only) and a demuxer
allow-list, so playlists, concat lists, image sequences and devices are refused before their
demuxer reads a header (and so before they could open other files). The probe demuxes at most a few
hundred video packets and decodes only the first frame of each video stream (for the display
rotation and field flags), so it stays fast on long or high-bit-rate files.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from av.audio.layout import AudioLayout
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.packet import Packet
from av.stream import Disposition, Stream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from transcode.errors import UnreadableMediaError
from transcode.inputs import DEFAULT_ALLOWED_FORMATS, label, open_input
from transcode.mediainfo import AudioStreamInfo, FieldOrder, MediaInfo, VideoStreamInfo

__all__ = ["DEFAULT_ALLOWED_FORMATS", "probe"]  # the allow-list lives in transcode.inputs

SCAN_PACKETS = 300
"""Video packets per stream demuxed to judge the frame rate."""

_FIELD_ORDERS: dict[int, FieldOrder] = {1: "progressive", 2: "tff", 3: "bff", 4: "bff", 5: "tff"}
"""AVFieldOrder → display field order (TB = top coded first, bottom shown first)."""

_STANDARD_RATES = [Fraction(n, d) for n, d in ((24000, 1001), (30000, 1001), (60000, 1001))] + [
    Fraction(r) for r in (10, 12, 15, 24, 25, 30, 48, 50, 60, 100, 120)
]
_TIMECODE = re.compile(r"^\d{2}:\d{2}:\d{2}[:;.]\d{2}$")
_MAX_TAGS, _MAX_TAG_CHARS = 64, 1024
_REORDER_MARGIN = 16  # more than any codec's frame reordering depth


def probe(path: Path, *, allowed_formats: frozenset[str] | None = None) -> MediaInfo:
    """Describe ``path``; raise FileNotFoundError, ForbiddenInputError or UnreadableMediaError."""
    allowed = DEFAULT_ALLOWED_FORMATS if allowed_formats is None else allowed_formats
    with open_input(path, allowed) as container:
        return _describe(path, container)


@dataclass
class _Scan:
    """What demuxing the first packets of one video stream (and decoding its first frame) showed."""

    pts: list[int] = field(default_factory=list)
    fed: int = 0
    first: VideoFrame | None = None

    @property
    def deltas(self) -> list[int]:
        # Frames not yet read (scan limit, truncated file) can only be missing from the top of the
        # sorted stamps, within the reordering depth: leave that stretch out.
        ordered = sorted(self.pts)[: max(3, len(self.pts) - _REORDER_MARGIN)]
        return [b - a for a, b in itertools.pairwise(ordered) if b > a]

    @property
    def variable(self) -> bool:
        deltas = self.deltas
        if len(deltas) < 2:
            return False
        tolerance = max(1, int(statistics.median(deltas)) // 100)  # ±1 tick of rounding jitter
        return max(deltas) - min(deltas) > 2 * tolerance


def _scan(container: InputContainer, streams: list[VideoStream]) -> dict[int, _Scan]:
    scans = {s.index: _Scan() for s in streams}
    by_index = {s.index: s for s in streams}
    if not streams:
        return scans
    try:
        for count, packet in enumerate(container.demux(*streams)):
            index = packet.stream.index  # not packet.stream_index: 0 on PyAV's flush packets
            scan = scans[index]
            if packet.dts is None and not packet.size:  # PyAV's end-of-stream flush packet
                continue
            stamp = packet.pts if packet.pts is not None else packet.dts
            if stamp is not None and len(scan.pts) < SCAN_PACKETS:
                scan.pts.append(stamp)
            if scan.first is None and scan.fed < 60 and packet.size:
                scan.fed += 1
                scan.first = _first_frame(by_index[index], packet)
            if count >= SCAN_PACKETS * len(streams) or all(
                len(s.pts) >= SCAN_PACKETS and (s.first is not None or s.fed >= 60) for s in scans.values()
            ):
                break
    except av.error.FFmpegError:
        pass  # truncated or damaged: describe what we could read
    for stream in streams:  # short files: frames still inside the decoder
        if scans[stream.index].first is None:
            scans[stream.index].first = _first_frame(stream, None)
    return scans


def _first_frame(stream: VideoStream, packet: Packet[Stream] | None) -> VideoFrame | None:
    try:
        frames = stream.decode(packet)
    except av.error.FFmpegError:
        return None
    return frames[0] if frames else None


def _describe(path: Path, container: InputContainer) -> MediaInfo:
    video = [
        s
        for s in container.streams.video
        if not s.disposition & Disposition.attached_pic  # cover art
    ]
    audio = list(container.streams.audio)
    if not video and not audio:
        raise UnreadableMediaError(f"{label(path)}: contains no audio or video")
    scans = _scan(container, video)
    videos = [_video_info(s, scans[s.index], container) for s in video]
    audios = [_audio_info(s) for s in audio]
    durations = [i.duration for i in videos if i.duration] + [i.duration for i in audios if i.duration]
    duration = container.duration / 1_000_000 if container.duration else max(durations, default=0.0)
    start = container.start_time / 1_000_000 if container.start_time else 0.0
    if start > 0 and "matroska" in container.format.name.split(","):
        # Matroska's segment duration (and so ffmpeg's) counts from zero, not from the first timestamp.
        duration = max(0.0, duration - start)
        videos = [v.model_copy(update={"duration": v.duration - start}) if v.duration else v for v in videos]
        audios = [a.model_copy(update={"duration": a.duration - start}) if a.duration else a for a in audios]
    metadata = [container.metadata, *(s.metadata for s in container.streams)]
    return MediaInfo(
        container=container.format.name,
        format_long_name=container.format.long_name or None,
        duration=duration,
        start_time=start,
        bit_rate=container.bit_rate or None,
        size=path.stat().st_size,
        start_timecode=next((tc for m in metadata if _TIMECODE.match(tc := m.get("timecode", ""))), None),
        video=videos,
        audio=audios,
        tags=_tags(container.metadata.items()),
    )


def _tags(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {str(k): str(v)[:_MAX_TAG_CHARS] for k, v in list(items)[:_MAX_TAGS]}


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    return float(value * time_base) if value and time_base else None


def _nominal_rate(stream: VideoStream, scan: _Scan) -> Fraction:
    """The stream's nominal rate: the commonest frame spacing when VFR, else the average rate."""
    rate: Fraction | None = None
    deltas = scan.deltas
    if scan.variable and stream.time_base:
        rate = 1 / (statistics.mode(deltas) * stream.time_base)
    rate = rate or stream.average_rate or stream.guessed_rate or stream.base_rate
    if not rate:
        return Fraction(0)
    close = (s for s in _STANDARD_RATES if abs(rate / s - 1) < Fraction(1, 5000))  # 30 vs 29.97: 1/1000
    return next(close, rate.limit_denominator(1001))


def _video_info(stream: VideoStream, scan: _Scan, container: InputContainer) -> VideoStreamInfo:
    ctx = stream.codec_context
    first = scan.first
    counter_clockwise = first.rotation if first else 0  # from the display matrix, -180..180
    rotation = -round(counter_clockwise / 90) * 90 % 360
    order = _FIELD_ORDERS.get(ctx.field_order)  # read after decoding: decoders fill it in too
    if order is None:
        order = "unknown" if first is None or first.interlaced_frame else "progressive"
    sar = stream.sample_aspect_ratio or ctx.sample_aspect_ratio or Fraction(1)
    dar = Fraction(ctx.width * sar, ctx.height) if ctx.height else Fraction(1)
    shown = (max(1, round(ctx.width * sar)), ctx.height)
    display_w, display_h = (shown[1], shown[0]) if rotation in (90, 270) else shown
    rate = _nominal_rate(stream, scan)
    duration = _seconds(stream.duration, stream.time_base)
    if duration is None and container.duration:
        duration = container.duration / 1_000_000
    frames = stream.frames or (round(duration * rate) if duration and rate and not scan.variable else None)
    return VideoStreamInfo(
        index=stream.index,
        codec=ctx.codec.canonical_name,
        profile=ctx.profile or None,
        pixel_format=ctx.pix_fmt,
        width=ctx.width,
        height=ctx.height,
        sample_aspect_ratio=f"{sar.numerator}:{sar.denominator}",
        display_aspect_ratio=f"{dar.numerator}:{dar.denominator}",
        rotation=rotation,
        display_width=display_w,
        display_height=display_h,
        frame_rate=round(float(rate), 3),
        frame_rate_fraction=f"{rate.numerator}/{rate.denominator}",
        variable_frame_rate=scan.variable,
        field_order=order,
        bit_rate=ctx.bit_rate or None,
        duration=duration,
        frame_count=frames,
    )


def _audio_info(stream: AudioStream) -> AudioStreamInfo:
    ctx = stream.codec_context
    layout = ctx.layout.name
    if layout.endswith("channels"):  # channel order unspecified (e.g. MXF): name the default layout
        layout = AudioLayout(f"{ctx.channels}c").name
    try:
        sample_format: str | None = ctx.format.name
    except (ValueError, AttributeError):
        sample_format = None
    return AudioStreamInfo(
        index=stream.index,
        codec=ctx.codec.canonical_name,
        sample_rate=ctx.sample_rate,
        channels=ctx.channels,
        channel_layout=layout,
        sample_format=sample_format,
        bit_rate=ctx.bit_rate or None,
        duration=_seconds(stream.duration, stream.time_base),
        language=stream.language if stream.language not in (None, "und") else None,
    )
