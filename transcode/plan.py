"""Turn (source MediaInfo, profiles) into a render plan: sizes, rates, scan and audio per output.

Pure arithmetic, no I/O, so that every decision about geometry, field order and gain can be
tested without media.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from transcode.audiomix import AudioSource, audio_source
from transcode.errors import RenderError, SpanError
from transcode.loudness import Loudness
from transcode.mediainfo import MediaInfo, VideoStreamInfo
from transcode.profiles import AudioSpec, ImageSpec, Profile, VideoSpec
from transcode.timecode import format_frames, parse_timecode

__all__ = [
    "AudioSource",
    "Geometry",
    "Interlace",
    "OutputPlan",
    "RenderPlan",
    "Span",
    "audio_source",
    "cover_box",
    "fit_box",
    "loudness_gain",
    "make_plan",
    "make_span",
    "standard_rate",
    "unusable_reason",
]

Interlace = Literal["none", "native", "weave", "psf"]
"""How an interlaced output gets its fields: ``native`` keeps the source's fields, ``weave`` takes
the two fields of each frame from consecutive 50/60p pictures, ``psf`` repeats one picture in both."""

_STANDARD_RATES = (
    Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
    Fraction(50), Fraction(60000, 1001), Fraction(60),
)  # fmt: skip

_MAX_GAIN_DB, _MIN_GAIN_DB = 24.0, -30.0
_SILENT_LUFS = -60.0


def standard_rate(rate: float) -> Fraction:
    """The broadcast rate nearest ``rate`` (phones report 29.87 for a VFR 29.97 clip)."""
    if rate <= 0:
        return Fraction(25)
    return min(_STANDARD_RATES, key=lambda r: abs(float(r) - rate))


def _even(value: float) -> int:
    return max(2, round(value / 2.0) * 2)


def fit_box(
    display_w: int, display_h: int, box_w: int, box_h: int, *, follow_orientation: bool, upscale: bool
) -> tuple[int, int]:
    """Largest even size inside the box with the display aspect kept (square pixels out).

    A picture with no size cannot be scaled: RenderError (the probe refuses such files at ingest)."""
    if display_w <= 0 or display_h <= 0 or box_w <= 0 or box_h <= 0:
        raise RenderError(f"a {display_w}×{display_h} picture cannot be fitted in {box_w}×{box_h}: it has no size")
    if follow_orientation and display_h > display_w and box_w > box_h:
        box_w, box_h = box_h, box_w
    scale = min(box_w / display_w, box_h / display_h)
    if not upscale:
        scale = min(scale, 1.0)
    return _even(display_w * scale), _even(display_h * scale)


def cover_box(display_w: int, display_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Smallest even size covering the box with the display aspect kept (to be centre-cropped).

    A picture with no size cannot be scaled: RenderError (the probe refuses such files at ingest)."""
    if display_w <= 0 or display_h <= 0 or box_w <= 0 or box_h <= 0:
        raise RenderError(f"a {display_w}×{display_h} picture cannot cover {box_w}×{box_h}: it has no size")
    scale = max(box_w / display_w, box_h / display_h)
    return max(box_w, _even(display_w * scale)), max(box_h, _even(display_h * scale))


def loudness_gain(measured: Loudness | None, target: float) -> float:
    """Gain in dB that brings the measured programme to ``target``; none for silence."""
    if measured is None or measured.integrated <= _SILENT_LUFS:
        return 0.0
    return max(_MIN_GAIN_DB, min(_MAX_GAIN_DB, target - measured.playback))  # a mono source plays dual mono


@dataclass(frozen=True)
class Geometry:
    width: int
    height: int
    """The output frame."""
    inner_width: int
    inner_height: int
    """The picture inside it: equal to the frame for contain, smaller for pad/blur_pad, larger
    (before the centre crop) for crop."""
    fit: str = "contain"


@dataclass(frozen=True)
class Span:
    """A sub-clip in seconds from the start of the source: frames whose time is in [start, end)."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def make_span(info: MediaInfo, start: float | str | None, end: float | str | None) -> Span | None:
    """A span from seconds or timecodes (``HH:MM:SS:FF`` in the source's own timecode if it has one).

    Checked against the source: :class:`SpanError` for a point that is neither seconds nor a timecode a
    clock shows (seconds or minutes from 60, frames from the rate), an in-point not before the out-point,
    or a span outside the source; every message says the valid range."""
    if start is None and end is None:
        return None
    base = max(1, round(standard_rate(info.video[0].frame_rate))) if info.video else 25
    origin = _origin(info, base)
    valid = _valid_range(info, base, origin)

    def seconds(value: float | str | None, default: float) -> float:
        if value is None:
            return default
        if isinstance(value, str):
            number = _number(value)
            if number is None:
                return _timecode_seconds(value.strip(), base, origin, valid)
            value = number
        if not math.isfinite(value) or value < 0:
            raise SpanError(f"{value} is not a point in the source: {valid}")
        return float(value)

    span = Span(seconds(start, 0.0), seconds(end, info.duration))
    if span.start >= span.end:
        said = f"the in-point ({_said(start, span.start)}) must come before the out-point ({_said(end, span.end)})"
        raise SpanError(f"{said}: {valid}")
    if span.end > info.duration + 1e-6:
        raise SpanError(f"the sub-clip {span.start:.3f}-{span.end:.3f} s is not inside the source: {valid}")
    return span


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _timecode_seconds(text: str, base: int, origin: int | None, valid: str) -> float:
    try:
        frames = parse_timecode(text, base, strict=True).frames
    except SpanError as exc:
        raise SpanError(f"{exc}; give seconds or HH:MM:SS:FF: {valid}") from exc
    if frames < (origin or 0):
        raise SpanError(f"{text} is before the clip's first timecode: {valid}")
    return (frames - (origin or 0)) / base


def _origin(info: MediaInfo, base: int) -> int | None:
    """The frame count of the source's first timecode (None without one, or with a label no clock shows)."""
    if not info.start_timecode:
        return None
    try:
        return parse_timecode(info.start_timecode, base, strict=True).frames
    except SpanError:
        return None


def _valid_range(info: MediaInfo, base: int, origin: int | None) -> str:
    seconds = f"0 to {info.duration:.3f} s"
    if origin is None:
        return f"the source runs from {seconds}"
    last = origin + round(info.duration * base)
    return f"the source runs from {format_frames(origin, base)} to {format_frames(last, base)} ({seconds})"


def _said(value: float | str | None, seconds: float) -> str:
    return f"{seconds:.3f} s" if value is None or not isinstance(value, str) else f"{value.strip()[:40]}"


@dataclass(frozen=True)
class OutputPlan:
    profile: Profile
    path: Path
    geometry: Geometry | None = None
    rate: Fraction = Fraction(0)
    gop: int = 0
    interlace: Interlace = "none"
    video: VideoSpec | None = None
    audio: AudioSpec | None = None
    image: ImageSpec | None = None
    gain_db: float | None = None
    """Loudness gain to apply (None: the profile does not normalise)."""
    rungs: tuple[OutputPlan, ...] = ()
    """For a streaming ladder: one plan per video rendition (its geometry and bit rate)."""

    @property
    def width(self) -> int:
        return self.geometry.width if self.geometry else 0

    @property
    def height(self) -> int:
        return self.geometry.height if self.geometry else 0


@dataclass(frozen=True)
class RenderPlan:
    source: Path
    info: MediaInfo
    outputs: tuple[OutputPlan, ...]
    rotation: int
    deinterlace: bool
    """Whether the progressive route deinterlaces (the source is interlaced)."""
    source_field_order: str
    audio_source: AudioSource | None
    audio_streams: tuple[int, ...]
    """Every source audio stream, in order: their channels feed track layouts."""
    start_timecode: str | None
    """The timecode of the first output frame (the source's, advanced to the in-point)."""
    timecode_base: int
    source_loudness: Loudness | None = None
    span: Span | None = None
    """A sub-clip: only [in, out) of the source, which becomes time zero of every output."""
    threads: int = 0
    """Threads each of the render's decoder, encoders and video filter graph may use; 0: the libraries'
    own choice (about one per core). Several jobs on one machine each get their share."""

    @property
    def duration(self) -> float:
        """Length of what the outputs cover, in seconds."""
        return self.span.duration if self.span else self.info.duration

    @property
    def needs_video(self) -> bool:
        return any(o.video is not None or o.image is not None for o in self.outputs)

    @property
    def needs_audio(self) -> bool:
        return any(o.audio is not None for o in self.outputs)


def _geometry(spec: VideoSpec | ImageSpec, video: VideoStreamInfo) -> Geometry:
    dw, dh = video.display_width, video.display_height
    fit = spec.fit if isinstance(spec, VideoSpec) else "contain"
    upscale = spec.upscale if isinstance(spec, VideoSpec) else False
    if fit == "contain":
        w, h = fit_box(dw, dh, spec.width, spec.height, follow_orientation=spec.follow_orientation, upscale=upscale)
        return Geometry(w, h, w, h, fit)
    if fit == "crop":
        cw, ch = cover_box(dw, dh, spec.width, spec.height)
        return Geometry(spec.width, spec.height, cw, ch, fit)
    iw, ih = fit_box(dw, dh, spec.width, spec.height, follow_orientation=False, upscale=upscale)
    return Geometry(spec.width, spec.height, iw, ih, fit)


def _interlace(spec: VideoSpec, video: VideoStreamInfo, out_rate: Fraction) -> Interlace:
    if spec.scan == "progressive":
        return "none"
    source_rate = standard_rate(video.frame_rate)
    if video.interlaced and video.rotation == 0 and source_rate == out_rate:
        return "native"
    if not video.interlaced and abs(float(source_rate) - 2 * float(out_rate)) < 0.5 * float(out_rate):
        return "weave"
    return "psf"


def _ladder(plan: OutputPlan, profile: Profile, video: VideoStreamInfo) -> tuple[OutputPlan, ...]:
    """The rungs that fit the source (the smallest always), keyframes on segment boundaries."""
    assert profile.streaming is not None and profile.video is not None
    short_side = min(video.display_width, video.display_height)
    rungs = [r for r in profile.streaming.ladder if min(r.width, r.height) <= short_side]
    rungs = rungs or [min(profile.streaming.ladder, key=lambda r: r.height)]
    frames_per_segment = max(1, round(float(plan.rate) * profile.streaming.segment_seconds))
    gop = next(g for g in range(min(plan.gop, frames_per_segment), 0, -1) if frames_per_segment % g == 0)
    made = []
    for rung in rungs:
        spec = profile.video.model_copy(
            update={
                "width": rung.width,
                "height": rung.height,
                "bitrate": rung.bitrate,
                "max_bitrate": rung.max_bitrate,
            }
        )
        made.append(dataclasses.replace(plan, geometry=_geometry(spec, video), video=spec, gop=gop))
    return tuple(made)


def unusable_reason(profile: Profile, info: MediaInfo) -> str | None:
    """Why ``profile`` cannot be made from ``info`` (None when it can)."""
    if not profile.applies(info.kind):
        return f"{profile.name} is not made from {info.kind} sources"
    makes_picture = profile.video is not None or profile.image is not None
    if not makes_picture and not info.audio:
        return f"{profile.name} needs sound and the source has no audio track"
    return None


def _output(
    profile: Profile,
    path: Path,
    video: VideoStreamInfo | None,
    rate: Fraction,
    has_audio: bool,
    loudness: Loudness | None,
) -> OutputPlan:
    audio = profile.audio if has_audio or (profile.audio and profile.audio.layout == "tracks") else None
    gain = loudness_gain(loudness, profile.loudness.integrated) if profile.loudness and has_audio else None
    if video is None or (profile.video is None and profile.image is None):
        if audio is None or not has_audio:
            raise RenderError(
                f"profile {profile.name!r} has nothing to make from this source "
                f"(it has no {'audio' if video is None else 'video'})"
            )
        return OutputPlan(profile, path, audio=audio, gain_db=gain)
    if profile.image is not None:
        return OutputPlan(profile, path, _geometry(profile.image, video), rate, image=profile.image)
    spec = profile.video
    assert spec is not None
    out_rate = rate if spec.frame_rate == "source" else standard_rate(spec.frame_rate)
    gop = max(1, round(float(out_rate) * spec.gop_seconds))
    plan = OutputPlan(
        profile,
        path,
        _geometry(spec, video),
        out_rate,
        gop,
        _interlace(spec, video, out_rate),
        video=spec,
        audio=audio,
        gain_db=gain,
    )
    if profile.streaming is None:
        return plan
    return dataclasses.replace(plan, rungs=_ladder(plan, profile, video))


def make_plan(
    source: Path,
    info: MediaInfo,
    outputs: list[tuple[Profile, Path]],
    loudness: Loudness | None = None,
    span: Span | None = None,
    threads: int = 0,
) -> RenderPlan:
    """Decide every output's geometry, scan and gain; RenderError if a profile cannot apply.
    ``threads``: :attr:`RenderPlan.threads`."""
    video = info.primary_video
    for profile, _ in outputs:
        reason = unusable_reason(profile, info)
        if reason is not None:
            raise RenderError(reason)
    rate = standard_rate(video.frame_rate) if video else Fraction(25)
    mix = audio_source(info)
    plans = tuple(_output(p, path, video, rate, mix is not None, loudness) for p, path in outputs)
    return RenderPlan(
        source=source,
        info=info,
        outputs=plans,
        rotation=video.rotation if video else 0,
        deinterlace=video is not None and video.interlaced,
        source_field_order=video.field_order if video else "progressive",
        audio_source=mix,
        audio_streams=tuple(a.index for a in info.audio),
        start_timecode=_advance(info.start_timecode, span.start if span else 0.0, max(1, round(float(rate)))),
        timecode_base=max(1, round(float(rate))),
        source_loudness=loudness,
        span=span,
        threads=max(0, threads),
    )


def _advance(timecode: str | None, seconds: float, base: int) -> str | None:
    if timecode is None or seconds == 0:
        return timecode
    return parse_timecode(timecode, base).at_seconds(seconds)
