"""Technical probe of one media file: :func:`probe` → :class:`~transcode.mediainfo.MediaInfo`.

The file is opened with PyAV under a protocol allow-list (local files only) and a demuxer
allow-list, so playlists, concat lists, image sequences and devices are refused before their
demuxer reads a header (and so before they could open other files). The probe demuxes at most a few
hundred packets per stream, decodes only the first frame of each video stream (for the display
rotation and field flags), and, when that did not reach the end of the file, reads the last packets
after a seek through the file's index: so it stays fast on long or high-bit-rate files and still
knows where the streams really end.

Damaged files are described fact by fact: a fact the file does not give is left unknown, and a
stream that cannot be described at all (no codec, no picture size, no channels) refuses the file
with a reason a person can read. A picture larger than :class:`ProbeLimits` allows, or a duration
longer than it allows (declared or shown by the streams), raises
:class:`~transcode.errors.MediaLimitError`.
"""

from __future__ import annotations

import itertools
import math
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

from transcode.errors import MediaLimitError, UnreadableMediaError
from transcode.inputs import DEFAULT_ALLOWED_FORMATS, label, open_input
from transcode.limits import ProbeLimits
from transcode.mediainfo import AudioStreamInfo, FieldOrder, MediaInfo, VideoStreamInfo
from transcode.probefacts import fact, reconcile_duration

__all__ = ["DEFAULT_ALLOWED_FORMATS", "ProbeLimits", "probe"]  # the allow-list lives in transcode.inputs

SCAN_PACKETS = 300
"""Packets per stream demuxed to judge the frame rate (and, on short files, to reach the end)."""
END_PACKETS = 3000
"""Packets demuxed after seeking near the end of a long file, to find where its streams end."""

_FIELD_ORDERS: dict[int, FieldOrder] = {1: "progressive", 2: "tff", 3: "bff", 4: "bff", 5: "tff"}
"""AVFieldOrder → display field order (TB = top coded first, bottom shown first)."""

_STANDARD_RATES = [Fraction(n, d) for n, d in ((24000, 1001), (30000, 1001), (60000, 1001))] + [
    Fraction(r) for r in (10, 12, 15, 24, 25, 30, 48, 50, 60, 100, 120)
]
_TIMECODE = re.compile(r"^\d{2}:\d{2}:\d{2}[:;.]\d{2}$")
_MAX_TAGS, _MAX_TAG_CHARS = 64, 1024
_REORDER_MARGIN = 16  # more than any codec's frame reordering depth
_SAR_RANGE = (Fraction(1, 8), Fraction(8))  # pixel aspect ratios outside this are damage, not pictures


def probe(path: Path, *, allowed_formats: frozenset[str] | None = None, limits: ProbeLimits | None = None) -> MediaInfo:
    """Describe ``path``; raise FileNotFoundError, ForbiddenInputError, UnreadableMediaError or
    MediaLimitError (a picture or duration beyond ``limits``, default :class:`ProbeLimits`)."""
    allowed = DEFAULT_ALLOWED_FORMATS if allowed_formats is None else allowed_formats
    with open_input(path, allowed) as container:
        return _describe(path, container, limits or ProbeLimits())


@dataclass
class _Scan:
    """What demuxing the first packets of one video stream (and decoding its first frame) showed."""

    pts: list[int] = field(default_factory=list)
    fed: int = 0
    first: VideoFrame | None = None
    decode: bool = True
    """False when the stream's declared picture is beyond the limits: its frames are never decoded."""

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


@dataclass
class _Ends:
    """Where the packets read so far end (seconds), and whether the reading reached the file's end."""

    latest: float | None = None
    eof: bool = False

    def see(self, packet: Packet[Stream]) -> None:
        stamp = packet.pts if packet.pts is not None else packet.dts
        base = packet.time_base
        if stamp is None or not base:
            return
        end = float((stamp + max(0, packet.duration or 0)) * base)
        if math.isfinite(end) and (self.latest is None or end > self.latest):
            self.latest = end


def _is_flush(packet: Packet[Stream]) -> bool:
    return packet.dts is None and not packet.size  # PyAV's end-of-stream flush packet


def _scan(
    container: InputContainer, video: list[VideoStream], others: list[Stream], limits: ProbeLimits
) -> tuple[dict[int, _Scan], _Ends]:
    scans = {s.index: _Scan(decode=_decodable(s, limits)) for s in video}
    by_index = {s.index: s for s in video}
    ends = _Ends()
    streams = [*video, *others]
    try:
        for count, packet in enumerate(container.demux(*streams)):
            if _is_flush(packet):
                continue
            ends.see(packet)
            scan = scans.get(packet.stream.index)  # not packet.stream_index: 0 on PyAV's flush packets
            if scan is not None:
                _feed(scan, by_index[packet.stream.index], packet)
            if count >= SCAN_PACKETS * len(streams) or (
                scans
                and all(len(s.pts) >= SCAN_PACKETS and (s.first is not None or s.fed >= 60) for s in scans.values())
            ):
                break
        else:
            ends.eof = True
    except av.error.FFmpegError:
        pass  # truncated or damaged: describe what we could read
    for stream in video:  # short files: frames still inside the decoder
        if scans[stream.index].first is None and scans[stream.index].decode:
            scans[stream.index].first = _first_frame(stream, None)
    if not ends.eof:
        _read_the_end(container, streams, ends)
    return scans, ends


def _feed(scan: _Scan, stream: VideoStream, packet: Packet[Stream]) -> None:
    stamp = packet.pts if packet.pts is not None else packet.dts
    if stamp is not None and len(scan.pts) < SCAN_PACKETS:
        scan.pts.append(stamp)
    if scan.decode and scan.first is None and scan.fed < 60 and packet.size:
        scan.fed += 1
        scan.first = _first_frame(stream, packet)


def _decodable(stream: VideoStream, limits: ProbeLimits) -> bool:
    """Decode a first frame only of a picture within the limits, and tell the decoder the limit too
    (a frame whose own header claims a larger picture is then refused, not allocated)."""
    ctx = stream.codec_context
    width, height = fact(lambda: ctx.width, 0) or 0, fact(lambda: ctx.height, 0) or 0
    if not 0 < max(width, height) <= limits.max_picture_side or min(width, height) <= 0:
        return False
    return fact(lambda: _set_max_pixels(stream, limits.max_picture_side**2), False)


def _set_max_pixels(stream: VideoStream, pixels: int) -> bool:
    stream.codec_context.options = {"max_pixels": str(pixels)}
    return True


def _read_the_end(container: InputContainer, streams: list[Stream], ends: _Ends) -> None:
    """Seek to the last position the file's index names and read the packets from there to the end
    (bounded by END_PACKETS).

    Only to a position in the index: seeking past it would make some demuxers (Matroska without cues)
    read the whole file to get there."""
    last = [(s, entry) for s in streams if (entry := _last_index_entry(s)) is not None]
    if not last:
        return
    stream, timestamp = max(last, key=lambda found: float(found[1] * (found[0].time_base or 0)))
    try:
        container.seek(timestamp, stream=stream, backward=True, any_frame=False)
        for count, packet in enumerate(container.demux(*streams)):
            if not _is_flush(packet):
                ends.see(packet)
            if count >= END_PACKETS:
                return
        ends.eof = True
    except (av.error.FFmpegError, OverflowError, ValueError):
        return


def _last_index_entry(stream: Stream) -> int | None:
    """The timestamp of the stream's last index entry (in its time base), if it has an index."""

    def read() -> int | None:
        entries = stream.index_entries
        return int(entries[len(entries) - 1].timestamp) if len(entries) and stream.time_base else None

    return fact(read, None)


def _cover_art(stream: VideoStream) -> bool:
    return fact(lambda: bool(stream.disposition & Disposition.attached_pic), False)


def _first_frame(stream: VideoStream, packet: Packet[Stream] | None) -> VideoFrame | None:
    try:
        frames = stream.decode(packet)
    except (av.error.FFmpegError, ValueError):
        return None
    return frames[0] if frames else None


def _describe(path: Path, container: InputContainer, limits: ProbeLimits) -> MediaInfo:
    video = [s for s in container.streams.video if not _cover_art(s)]
    audio = list(container.streams.audio)
    if not video and not audio:
        raise UnreadableMediaError(f"{label(path)}: contains no audio or video")
    for stream in [*video, *audio]:
        if stream.codec_context is None:
            kind = "video" if stream in video else "audio"
            raise UnreadableMediaError(
                f"{label(path)}: its {kind} stream {stream.index} is in a format we cannot decode; the file is "
                "probably damaged"
            )
    scans, ends = _scan(container, video, list(audio), limits)
    videos = [_video_info(path, s, scans[s.index], container, limits) for s in video]
    audios = [_audio_info(path, s) for s in audio]
    start = (container.start_time or 0) / 1_000_000
    declared = max(0, container.duration or 0) / 1_000_000
    durations = [i.duration for i in videos if i.duration] + [i.duration for i in audios if i.duration]
    declared = declared or max(durations, default=0.0)
    if start > 0 and "matroska" in container.format.name.split(","):
        # Matroska's segment duration (and so ffmpeg's) counts from zero, not from the first timestamp.
        declared = max(0.0, declared - start)
        videos = [v.model_copy(update={"duration": v.duration - start}) if v.duration else v for v in videos]
        audios = [a.model_copy(update={"duration": a.duration - start}) if a.duration else a for a in audios]
    seen = None if ends.latest is None else max(0.0, ends.latest - start)
    duration = reconcile_duration(label(path), declared, seen, ends.eof, limits)
    most = duration + max(1.0, 0.05 * duration)  # no stream header may claim (much) more than the file holds
    videos = [_cut(v, duration, most) for v in videos]
    audios = [a.model_copy(update={"duration": duration}) if a.duration and a.duration > most else a for a in audios]
    metadata = [container.metadata, *(s.metadata for s in container.streams)]
    bit_rate = fact(lambda: container.bit_rate, 0) or 0
    return MediaInfo(
        container=container.format.name,
        format_long_name=container.format.long_name or None,
        duration=duration,
        measured_duration=seen if ends.eof else None,
        start_time=start,
        bit_rate=bit_rate if bit_rate > 0 else None,
        size=path.stat().st_size,
        start_timecode=next((tc for m in metadata if _TIMECODE.match(tc := m.get("timecode", ""))), None),
        video=videos,
        audio=audios,
        tags=_tags(container.metadata.items()),
    )


def _cut(video: VideoStreamInfo, duration: float, most: float) -> VideoStreamInfo:
    """``video`` with a duration or frame count longer than ``most`` seconds cut to ``duration``."""
    frames = video.frame_count
    if frames is not None and video.frame_rate > 0 and frames > most * video.frame_rate:
        frames = max(1, round(duration * video.frame_rate))
    longer = video.duration is not None and video.duration > most
    return video.model_copy(update={"duration": duration if longer else video.duration, "frame_count": frames})


def _tags(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {str(k): str(v)[:_MAX_TAG_CHARS] for k, v in list(items)[:_MAX_TAGS]}


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    seconds = float(value * time_base) if value and time_base else None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds > 0 else None


def _nominal_rate(stream: VideoStream, scan: _Scan) -> Fraction:
    """The stream's nominal rate: the commonest frame spacing when VFR, else the average rate."""
    rate: Fraction | None = None
    deltas = scan.deltas
    if scan.variable and stream.time_base:
        rate = 1 / (statistics.mode(deltas) * stream.time_base)
    rate = rate or fact(lambda: stream.average_rate or stream.guessed_rate or stream.base_rate, None)
    if not rate or rate <= 0:
        return Fraction(0)
    close = (s for s in _STANDARD_RATES if abs(rate / s - 1) < Fraction(1, 5000))  # 30 vs 29.97: 1/1000
    return next(close, rate.limit_denominator(1001))


def _picture(path: Path, stream: VideoStream, limits: ProbeLimits) -> tuple[int, int]:
    ctx = stream.codec_context
    width, height = fact(lambda: ctx.width, 0) or 0, fact(lambda: ctx.height, 0) or 0
    if width <= 0 or height <= 0:
        raise UnreadableMediaError(
            f"{label(path)}: the picture of its video stream {stream.index} has no size ({width}×{height}); "
            "the file is damaged, or its frames claim a picture too large to decode"
        )
    if max(width, height) > limits.max_picture_side:
        raise MediaLimitError(
            f"{label(path)}: its picture is {width}×{height}, larger than the {limits.max_picture_side} pixels "
            "accepted on the long side"
        )
    return width, height


def _aspect(stream: VideoStream) -> Fraction:
    sar = fact(lambda: stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio, None)
    return sar if sar is not None and _SAR_RANGE[0] <= sar <= _SAR_RANGE[1] else Fraction(1)


def _video_info(
    path: Path, stream: VideoStream, scan: _Scan, container: InputContainer, limits: ProbeLimits
) -> VideoStreamInfo:
    ctx = stream.codec_context
    width, height = _picture(path, stream, limits)
    first = scan.first
    counter_clockwise = fact(lambda: float(first.rotation), 0.0) if first else 0.0  # display matrix, -180..180
    rotation = -round(counter_clockwise / 90) * 90 % 360 if math.isfinite(counter_clockwise) else 0
    order = _FIELD_ORDERS.get(fact(lambda: ctx.field_order, 0))  # read after decoding: decoders fill it in too
    if order is None:
        order = "unknown" if first is None or fact(lambda: first.interlaced_frame, True) else "progressive"
    sar = _aspect(stream)
    dar = Fraction(width * sar, height)
    shown = (max(1, round(width * sar)), height)
    display_w, display_h = (shown[1], shown[0]) if rotation in (90, 270) else shown
    rate = _nominal_rate(stream, scan)
    duration = _seconds(fact(lambda: stream.duration, None), fact(lambda: stream.time_base, None))
    if duration is None and container.duration and container.duration > 0:
        duration = container.duration / 1_000_000
    counted = fact(lambda: stream.frames, 0) or 0
    frames = counted if counted > 0 else None
    if frames is None and duration and rate and not scan.variable:
        frames = round(duration * rate)
    bit_rate = fact(lambda: ctx.bit_rate or 0, 0)
    return VideoStreamInfo(
        index=stream.index,
        codec=fact(lambda: ctx.codec.canonical_name, "unknown"),
        profile=fact(lambda: ctx.profile or None, None),
        pixel_format=fact(lambda: ctx.pix_fmt or None, None),
        width=width,
        height=height,
        sample_aspect_ratio=f"{sar.numerator}:{sar.denominator}",
        display_aspect_ratio=f"{dar.numerator}:{dar.denominator}",
        rotation=rotation,
        display_width=display_w,
        display_height=display_h,
        frame_rate=round(float(rate), 3),
        frame_rate_fraction=f"{rate.numerator}/{rate.denominator}",
        variable_frame_rate=scan.variable,
        field_order=order,
        bit_rate=bit_rate if bit_rate > 0 else None,
        duration=duration,
        frame_count=frames,
    )


def _audio_info(path: Path, stream: AudioStream) -> AudioStreamInfo:
    ctx = stream.codec_context
    channels, sample_rate = fact(lambda: ctx.channels, 0) or 0, fact(lambda: ctx.sample_rate, 0) or 0
    if channels <= 0 or sample_rate <= 0:
        missing = "no channels" if channels <= 0 else "no sample rate"
        raise UnreadableMediaError(
            f"{label(path)}: its audio stream {stream.index} has {missing}; the file is probably damaged"
        )
    layout = fact(lambda: ctx.layout.name, "")
    if not layout or layout.endswith("channels"):  # order unspecified (e.g. MXF) or unknown: the default layout
        layout = fact(lambda: AudioLayout(f"{channels}c").name, f"{channels} channels")
    bit_rate = fact(lambda: ctx.bit_rate or 0, 0)
    language = fact(lambda: stream.language, None)
    return AudioStreamInfo(
        index=stream.index,
        codec=fact(lambda: ctx.codec.canonical_name, "unknown"),
        sample_rate=sample_rate,
        channels=channels,
        channel_layout=layout,
        sample_format=fact(lambda: ctx.format.name, None),
        bit_rate=bit_rate if bit_rate > 0 else None,
        duration=_seconds(fact(lambda: stream.duration, None), fact(lambda: stream.time_base, None)),
        language=language if language not in (None, "und") else None,
    )
