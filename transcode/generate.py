"""Synthetic media for the demo and the tests: real codecs and containers, no committed binaries.

Pictures and sounds come from lavfi source filters run in PyAV filter graphs, are encoded with PyAV
encoders and muxed with PyAV. Video moves (``testsrc2``, then ``gradients``) with one hard cut on the
frame nearest the middle, so encoders and shot detection have something to chew on. Output is
deterministic apart from encoder and muxer identification strings.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.filter import Graph
from av.filter.context import FilterContext
from av.packet import Packet
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from transcode.errors import RenderError

__all__ = [
    "audio_clip",
    "broadcast_clip",
    "broadcast_track_frequency",
    "corrupt_file",
    "orientation_marker_corner",
    "phone_clip",
    "sample_set",
    "silent_clip",
]

Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]

_TIMECODE = re.compile(r"^\d{2}:[0-5]\d:[0-5]\d[:;]\d{2}$")
_FIELD_TT = 2  # AVFieldOrder AV_FIELD_TT: top field coded and displayed first
_VFR_TICKS = (3000, 3000, 4500, 3000, 4500)  # frame durations at 1/90000: a mix of 1/30 s and 1/20 s
_TURN = {90: [("transpose", "cclock")], 180: [("hflip", ""), ("vflip", "")], 270: [("transpose", "clock")]}
_XDCAM = {  # MPEG-2 4:2:2 long GOP like XDCAM HD422: closed 12-frame GOPs, interlaced DCT and motion
    "flags": "+ildct+ilme+cgop", "g": "12", "bf": "2", "sc_threshold": "1000000000", "intra_vlc": "1",
    "non_linear_quant": "1", "alternate_scan": "1", "qmin": "1", "qmax": "12", "dc": "10",
}  # fmt: skip


def broadcast_track_frequency(track: int) -> int:
    """Tone frequency in Hz of audio track ``track`` (0-based) in :func:`broadcast_clip`."""
    return 400 + 200 * track


@contextlib.contextmanager
def _generating(path: Path) -> Iterator[None]:
    """Create the parent folder; turn FFmpeg failures into RenderError and leave no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except av.error.FFmpegError as exc:
        path.unlink(missing_ok=True)
        raise RenderError(f"could not generate {path.name}: {exc}") from exc


def _chain(graph: Graph, *filters: tuple[str, str]) -> tuple[FilterContext, FilterContext]:
    """Add ``filters`` linked one after another; return the first and the last."""
    nodes = [graph.add(name, args) for name, args in filters]
    for upstream, downstream in itertools.pairwise(nodes):
        upstream.link_to(downstream)
    return nodes[0], nodes[-1]


def _two_shots(graph: Graph, size: str, rate: int, frames: int, cut: int) -> FilterContext:
    """``testsrc2`` for ``cut`` frames, then ``gradients`` up to ``frames``: one hard cut."""
    _, first = _chain(graph, ("testsrc2", f"size={size}:rate={rate}"), ("trim", f"end_frame={cut}"))
    _, second = _chain(
        graph,
        ("gradients", f"size={size}:rate={rate}:speed=0.03:seed=7"),
        ("trim", f"end_frame={frames - cut}"),
        ("setpts", "PTS-STARTPTS"),
    )
    concat = graph.add("concat", "n=2:v=1:a=0")
    first.link_to(concat, 0, 0)
    second.link_to(concat, 0, 1)
    return concat


def _pictures(graph: Graph, sink: FilterContext) -> Iterator[VideoFrame]:
    graph.configure()  # the graph must stay referenced while pulling: contexts hold it weakly
    while True:
        try:
            frame = sink.pull()
        except av.error.EOFError:
            return
        if not isinstance(frame, VideoFrame):
            raise RenderError("the picture graph produced a non-video frame")
        yield frame


@dataclass
class _Sound:
    """One audio encoder fed from a source graph, advanced in step with the video for interleaving."""

    stream: AudioStream
    graph: Graph  # filter contexts only hold a weak reference to their graph
    sink: FilterContext
    time: float = 0.0
    done: bool = False

    def run(self, out: OutputContainer, until: float | None) -> None:
        while not self.done and (until is None or self.time < until):
            try:
                frame = self.sink.pull()
            except av.error.EOFError:
                self.done, frame = True, None  # None flushes the encoder
            if isinstance(frame, AudioFrame) and frame.pts is not None and frame.time_base:
                self.time = float(frame.pts * frame.time_base) + frame.samples / frame.sample_rate
            elif frame is not None:
                raise RenderError("the sound graph produced a non-audio frame")
            out.mux(self.stream.encode(frame))


def _sound(out: OutputContainer, codec: str, rate: int, layout: str, exprs: list[str], seconds: float) -> _Sound:
    """An ``aevalsrc`` source, one expression of ``t`` per channel, encoded with ``codec``."""
    stream = out.add_stream(codec, rate=rate, layout=layout)
    if not isinstance(stream, AudioStream):
        raise RenderError(f"{codec} is not an audio encoder")
    graph = Graph()
    source = f"{'|'.join(exprs)}:s={rate}:d={seconds}:n=1920"
    _, sink = _chain(graph, ("aevalsrc", source), ("abuffersink", ""))
    graph.configure()
    return _Sound(stream, graph, sink)


def _mux_all(
    out: OutputContainer,
    video: tuple[VideoStream, Iterator[VideoFrame], Callable[[int], int], int] | None,
    sounds: list[_Sound],
) -> None:
    """Encode ``video`` = (stream, pictures, ticks of frame n, end tick) and ``sounds``, interleaved."""
    if video is not None:
        stream, pictures, ticks, end = video
        time_base = stream.codec_context.time_base
        pts, lasting = 0, {}  # encoders leave packet durations empty; MP4 needs them for VFR
        for n, frame in enumerate(pictures):
            if pts >= end:
                break
            frame.pts, frame.time_base, frame.pict_type = pts, time_base, PictureType.NONE
            lasting[pts] = ticks(n)
            out.mux(_timed(stream.encode(frame), lasting))
            pts += ticks(n)
            for sound in sounds:
                sound.run(out, until=float(pts * time_base))
        out.mux(_timed(stream.encode(None), lasting))
    for sound in sounds:
        sound.run(out, until=None)


def _timed(packets: list[Packet[VideoStream]], lasting: dict[int, int]) -> list[Packet[VideoStream]]:
    for packet in packets:
        if packet.pts is not None and not packet.duration:
            packet.duration = lasting.pop(packet.pts, 0)
    return packets


def _h264(out: OutputContainer, size: tuple[int, int], rate: int, time_base: Fraction, bf: int = 3) -> VideoStream:
    options = {"preset": "veryfast", "crf": "21", "g": "60", "bf": str(bf)}
    stream = out.add_stream("libx264", rate=rate, options=options)
    (stream.width, stream.height), stream.pix_fmt = size, "yuv420p"
    stream.codec_context.time_base = stream.time_base = time_base
    return stream


def broadcast_clip(
    path: Path,
    *,
    seconds: float = 2.0,
    width: int = 1920,
    height: int = 1080,
    audio_tracks: int = 4,
    start_timecode: str = "10:00:00:00",
) -> Path:
    """A camera/playout-style 1080i50 clip: XDCAM HD422-like MPEG-2 4:2:2 in MXF OP1a.

    25 frames/s interlaced, top field first: each frame weaves the top field of one 50p picture with
    the bottom field of the next, so the motion really differs between fields. About 50 Mb/s CBR at
    full size (scaled with the picture area), ``audio_tracks`` mono PCM 24-bit 48 kHz tracks carrying
    tones of :func:`broadcast_track_frequency` Hz, ``start_timecode`` in the MXF timecode component.
    """
    if width % 2 or height % 4:
        raise ValueError(f"interlaced 4:2:2 needs an even width and a height divisible by 4, not {width}x{height}")
    if not _TIMECODE.match(start_timecode):
        raise ValueError(f"start timecode must look like HH:MM:SS:FF, not {start_timecode!r}")
    frames = max(2, round(seconds * 25))
    bits = str(max(2_000_000, round(50_000_000 * width * height / (1920 * 1080))))
    with _generating(path), av.open(str(path), mode="w", format="mxf") as out:
        out.metadata["timecode"] = start_timecode
        buffer = str(int(bits) * 8 // 11)  # starts full, so the stream is CBR from the first GOP
        rate_control = dict.fromkeys(("b", "minrate", "maxrate"), bits)
        rate_control |= dict.fromkeys(("bufsize", "rc_init_occupancy"), buffer)
        video = out.add_stream("mpeg2video", rate=25, options={**_XDCAM, **rate_control})
        video.width, video.height, video.pix_fmt = width, height, "yuv422p"
        video.codec_context.field_order = _FIELD_TT
        video.codec_context.time_base = Fraction(1, 25)
        graph = Graph()
        shots = _two_shots(graph, f"{width}x{height}", 50, 2 * frames, 2 * (frames // 2))
        weave, sink = _chain(
            graph,
            ("format", "yuv422p"),
            ("setfield", "tff"),
            ("separatefields", ""),  # top, bottom, top, bottom ...: two fields per 50p picture
            ("select", "eq(mod(n,4),0)+eq(mod(n,4),3)"),  # top of picture 2k, bottom of 2k+1
            ("weave", "first_field=top"),
            ("setfield", "tff"),
            ("buffersink", ""),
        )
        shots.link_to(weave)
        tone = "0.25*sin(2*PI*{}*t)"
        tones = [
            _sound(out, "pcm_s24le", 48000, "mono", [tone.format(broadcast_track_frequency(k))], frames / 25)
            for k in range(audio_tracks)
        ]
        _mux_all(out, (video, _pictures(graph, sink), lambda _n: 1, frames), tones)
    return path


def phone_clip(
    path: Path,
    *,
    seconds: float = 2.0,
    width: int = 1280,
    height: int = 720,
    rotation: int = 90,
    variable_frame_rate: bool = True,
    audio: bool = True,
) -> Path:
    """A phone clip shot upright, stored turned: H.264 in MP4 with a display matrix, VFR, AAC stereo.

    The stored picture is ``width``x``height``; players turn it ``rotation`` degrees CLOCKWISE to
    show it upright (portrait for 90/270, e.g. 720x1280). The upright picture is a dimmed
    ``testsrc2`` with a pure white square (1/6 of the upright width) in its TOP-LEFT corner, see
    :func:`orientation_marker_corner`. With ``variable_frame_rate`` frames last 1/30 s or 1/20 s.
    """
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270 degrees clockwise, not {rotation}")
    upright = (height, width) if rotation in (90, 270) else (width, height)
    side = max(2, upright[0] // 6)
    with _generating(path), av.open(str(path), mode="w", format="mp4") as out:
        # No B-frames, like most phone encoders: MP4 sample durations then follow the VFR pts exactly.
        video = _h264(out, (width, height), 30, Fraction(1, 90000), bf=0)
        if rotation:
            video.set_display_rotation(-rotation)  # PyAV takes counter-clockwise degrees
        graph = Graph()
        _, sink = _chain(
            graph,
            ("testsrc2", f"size={upright[0]}x{upright[1]}:rate=30"),
            ("format", "yuv420p"),
            ("lutyuv", "y=val*0.7"),  # keep the picture well below the marker's white
            ("drawbox", f"x=0:y=0:w={side}:h={side}:color=white:t=fill"),
            *_TURN.get(rotation, []),  # upright → stored: the display matrix turns it back
            ("buffersink", ""),
        )
        sounds = []
        if audio:
            exprs = [f"0.3*sin(2*PI*{f}*t)*(0.6+0.4*sin(2*PI*{m}*t))" for f, m in ((330, 2), (495, 3))]
            sounds.append(_sound(out, "aac", 48000, "stereo", exprs, seconds))
        ticks = _VFR_TICKS if variable_frame_rate else (3000,)
        _mux_all(
            out,
            (video, _pictures(graph, sink), lambda n: ticks[n % len(ticks)], round(seconds * 90000)),
            sounds,
        )
    return path


def silent_clip(path: Path, *, seconds: float = 2.0, width: int = 1280, height: int = 720, fps: int = 25) -> Path:
    """Progressive H.264 b-roll in MP4 (moov first) with NO audio stream; one hard cut mid-way."""
    frames = max(1, round(seconds * fps))
    with (
        _generating(path),
        av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        video = _h264(out, (width, height), fps, Fraction(1, fps))
        graph = Graph()
        shots = _two_shots(graph, f"{width}x{height}", fps, frames, frames // 2)
        sink = graph.add("buffersink")
        shots.link_to(sink)
        _mux_all(out, (video, _pictures(graph, sink), lambda _n: 1, frames), [])
    return path


def audio_clip(
    path: Path, *, seconds: float = 2.0, channels: int = 2, codec: str = "pcm_s16le", sample_rate: int = 48000
) -> Path:
    """Audio only, syllable-like bursts of tone: ``.wav`` (``codec``: PCM), ``.mp3``, ``.m4a``, ``.flac``."""
    suffix = path.suffix.lower()
    chosen = {".wav": codec, ".mp3": "libmp3lame", ".m4a": "aac", ".flac": "flac"}.get(suffix)
    if chosen is None or (suffix == ".wav" and not codec.startswith("pcm_")):
        raise ValueError(f"cannot make {path.name}: use .wav (with a pcm_ codec), .mp3, .m4a or .flac")
    exprs = [
        f"0.25*(sin(2*PI*{f}*t)+0.5*sin(4*PI*{f}*t))*pow(sin(PI*{3 + k / 2}*t),2)"
        for k, f in enumerate(range(180, 180 + 40 * channels, 40))
    ]
    with _generating(path), av.open(str(path), mode="w") as out:
        sound = _sound(out, chosen, sample_rate, f"{channels}c", exprs, seconds)
        if chosen in ("libmp3lame", "aac"):
            sound.stream.codec_context.bit_rate = 64_000 * channels
        _mux_all(out, None, [sound])
    return path


def corrupt_file(path: Path, kind: Literal["garbage", "truncated"] = "garbage", source: Path | None = None) -> Path:
    """A broken upload. ``garbage``: random bytes no demuxer accepts. ``truncated``: the first 40% of
    ``source`` (default: a fresh moov-first MP4, which still probes but cannot be decoded to the end)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "garbage":
        path.write_bytes(b"this is not media\n" + random.Random(0x6D616D).randbytes(64 * 1024))
        return path
    if kind != "truncated":
        raise ValueError(f"kind must be 'garbage' or 'truncated', not {kind!r}")
    made = source is None
    src = source or silent_clip(path.with_name(f".{path.stem}.source.mp4"), width=320, height=240)
    try:
        data = src.read_bytes()
        path.write_bytes(data[: len(data) * 2 // 5])
    finally:
        if made:
            src.unlink(missing_ok=True)
    return path


def orientation_marker_corner(frame_rgb: npt.NDArray[np.uint8]) -> Corner:
    """Which corner of an upright ``(height, width, 3)`` picture is brightest (the phone clip's marker)."""
    h, w = frame_rgb.shape[:2]
    side = max(1, min(h, w) // 8)
    corners: dict[Corner, npt.NDArray[np.uint8]] = {
        "top-left": frame_rgb[:side, :side],
        "top-right": frame_rgb[:side, w - side :],
        "bottom-left": frame_rgb[h - side :, :side],
        "bottom-right": frame_rgb[h - side :, w - side :],
    }
    return max(corners, key=lambda name: float(corners[name].mean()))


def sample_set(directory: Path) -> list[Path]:
    """The demo's originals: a 1080i50 MXF news clip, a portrait VFR phone clip, b-roll, a radio WAV."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        broadcast_clip(directory / "news_broadcast_1080i50.mxf", seconds=4.0),
        phone_clip(directory / "phone_portrait_vfr.mp4", seconds=4.0),
        silent_clip(directory / "silent_b-roll_720p.mp4", seconds=4.0),
        audio_clip(directory / "radio_bulletin.wav", seconds=10.0),
    ]
