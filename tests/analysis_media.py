"""Generated evaluation clips for shot detection and QC, with their ground truth.

Pictures come from lavfi sources (different sources on either side of every cut), composed in numpy
into a timeline of shots joined by hard cuts, dissolves and fades through black or a flat colour, with flashes and
fast camera motion inside shots that must not be taken for cuts. QC clips carry black, frozen and
silent segments and known-loudness tones at known places. Nothing is committed: tests make them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import av
import av.filter
import numpy as np
import numpy.typing as npt

__all__ = [
    "QCTruth",
    "ShotsTruth",
    "boundaries",
    "evaluate_cuts",
    "evaluate_graduals",
    "evaluate_transitions",
    "interlaced_clip",
    "programme_wav",
    "qc_clip",
    "quarter_rate_sine_wav",
    "shots_clip",
    "tone_wav",
    "wav_samples",
]

Image = npt.NDArray[np.uint8]
F = TypeVar("F")
T = TypeVar("T")

# Families: no two adjacent shots come from the same family (bars look alike, and so on).
_SOURCES = {
    "testsrc2": "a",
    "testsrc": "b",
    "mandelbrot": "c",
    "gradients": "d",
    "smptehdbars": "e",
    "rgbtestsrc": "f",
    "zoneplate": "g",
    "colorspectrum": "h",
    "yuvtestsrc": "i",
    "sierpinski": "j",
    "pan": "k",
    "shake": "l",
}


def _lavfi(name: str, width: int, height: int, frames: int, skip: int, seed: int) -> list[Image]:
    graph = av.filter.Graph()
    args = f"size={width}x{height}:rate=25"
    if name == "gradients":  # its colours and endpoints are random on every run unless given
        pick = random.Random(seed)
        colours = ":".join(f"c{k}=0x{pick.randrange(1 << 24):06x}" for k in range(3))
        sizes = (("x", width), ("y", height))
        ends = ":".join(f"{axis}{k}={pick.randrange(size)}" for k in (0, 1) for axis, size in sizes)
        args += f":speed=0.02:n=3:{colours}:{ends}"
    elif name == "sierpinski":
        args += f":seed={seed}"  # random on every run otherwise
    elif name == "zoneplate":
        args += ":kx2=200:ky2=200:kt=3"  # flat grey with the defaults
    source = graph.add(name, args)
    trim = graph.add("trim", f"start_frame={skip}")
    fmt = graph.add("format", "rgb24")
    sink = graph.add("buffersink")
    source.link_to(trim)
    trim.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    return [sink.pull().to_ndarray() for _ in range(frames)]  # type: ignore[union-attr]


def _texture(width: int, height: int) -> Image:
    """A large detailed picture to move a camera over (a mandelbrot view at 3x the frame size)."""
    return _lavfi("mandelbrot", width * 3, height * 3, 1, 40, 0)[0]


def _moving(kind: str, width: int, height: int, frames: int, rng: random.Random) -> list[Image]:
    tex = _texture(width, height)
    th, tw = tex.shape[:2]
    x, y, dx, dy = tw // 3, th // 3, rng.choice((-1, 1)) * 18, rng.choice((-1, 1)) * 9
    out = []
    for _ in range(frames):
        if kind == "shake":
            x = min(tw - width, max(0, tw // 3 + rng.randint(-40, 40)))
            y = min(th - height, max(0, th // 3 + rng.randint(-25, 25)))
        else:
            if not 0 <= x + dx <= tw - width:
                dx = -dx
            if not 0 <= y + dy <= th - height:
                dy = -dy
            x, y = x + dx, y + dy
        out.append(np.ascontiguousarray(tex[y : y + height, x : x + width]))
    return out


def _shot_frames(name: str, width: int, height: int, frames: int, rng: random.Random) -> list[Image]:
    if name in ("pan", "shake"):
        return _moving(name, width, height, frames, rng)
    return _lavfi(name, width, height, frames, rng.randint(0, 200), rng.randint(0, 1000))


def _mix(a: Image, b: Image, alpha: float) -> Image:
    return np.clip(a.astype(np.float32) * (1 - alpha) + b.astype(np.float32) * alpha + 0.5, 0, 255).astype(np.uint8)


@dataclass
class ShotsTruth:
    frames: int = 0
    cuts: list[int] = field(default_factory=list)
    """First frame of each shot that starts with a hard cut."""
    graduals: list[tuple[int, int]] = field(default_factory=list)
    """Dissolves and fades through a flat picture: first and last frame of the whole transition."""
    transitions: list[tuple[str, int, int]] = field(default_factory=list)
    """Each gradual transition labelled: ``dissolve``, or a fade's ``fade_out`` and ``fade_in`` parts."""
    flashes: list[int] = field(default_factory=list)
    moving_shots: list[tuple[int, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    """The source of each shot and the frame where the shot starts."""


class _Writer:
    """Encodes pictures to H.264 as they come, counting them."""

    def __init__(self, out: av.container.OutputContainer, width: int, height: int) -> None:
        self.out, self.count = out, 0
        self.stream = out.add_stream("libx264", rate=25, options={"crf": "18", "preset": "veryfast"})
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, "yuv420p"

    def emit(self, rgb: Image) -> None:
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = self.count, Fraction(1, 25)
        self.out.mux(self.stream.encode(frame))
        self.count += 1

    def close(self) -> None:
        self.out.mux(self.stream.encode(None))


def shots_clip(
    path: Path, *, shots: int = 24, seed: int = 1, width: int = 320, height: int = 180
) -> tuple[Path, ShotsTruth]:
    """An H.264 clip of ``shots`` shots (1-3 s each) joined by cuts (60%), dissolves and fades."""
    rng = random.Random(seed)
    truth = ShotsTruth()
    names: list[str] = []
    for _ in range(shots):
        choices = [n for n in _SOURCES if not names or _SOURCES[n] != _SOURCES[names[-1]]]
        names.append(rng.choice(choices))
    flats = [np.full((height, width, 3), colour, np.uint8) for colour in ((16, 16, 16), (235, 235, 235), (40, 60, 160))]
    with av.open(str(path), "w") as out:
        writer = _Writer(out, width, height)
        pending: list[Image] = []  # the previous shot, kept back for a dissolve or a fade
        for index, name in enumerate(names):
            length = rng.randint(40, 75)
            pictures = _shot_frames(name, width, height, length, rng)
            flash = None
            if name not in ("pan", "shake", "sierpinski") and length > 50 and rng.random() < 0.4:
                flash = rng.randint(20, length - 25)
                for k in range(flash, flash + rng.choice((1, 2))):
                    pictures[k] = _mix(pictures[k], np.full_like(pictures[k], 255), 0.85)
            join = rng.choices(("cut", "dissolve", "fade"), (6, 2, 2))[0] if index else "start"
            if join in ("start", "cut"):
                for image in pending:
                    writer.emit(image)
                shot_start = writer.count
                if join == "cut":
                    truth.cuts.append(shot_start)
            elif join == "dissolve":
                overlap = rng.randint(10, 20)
                for image in pending[:-overlap]:
                    writer.emit(image)
                shot_start = writer.count
                tail = pending[-overlap:]
                for k in range(overlap):
                    pictures[k] = _mix(tail[k], pictures[k], (k + 1) / (overlap + 1))
                truth.graduals.append((shot_start, shot_start + overlap - 1))
                truth.transitions.append(("dissolve", shot_start, shot_start + overlap - 1))
            else:  # through black (most often) or a flat colour
                flat = flats[rng.choices((0, 1, 2), (3, 1, 1))[0]]
                out_frames, black, in_frames = rng.randint(8, 15), rng.randint(0, 6), rng.randint(8, 15)
                kept = len(pending) - out_frames
                for k in range(out_frames):
                    pending[kept + k] = _mix(pending[kept + k], flat, (k + 1) / (out_frames + 1))
                for image in pending:
                    writer.emit(image)
                first = writer.count - out_frames
                for _ in range(black):
                    writer.emit(flat)
                for k in range(in_frames):
                    pictures[k] = _mix(flat, pictures[k], (k + 1) / (in_frames + 1))
                shot_start = writer.count
                truth.graduals.append((first, shot_start + in_frames - 1))
                truth.transitions.append(("fade_out", first, first + out_frames - 1))
                truth.transitions.append(("fade_in", shot_start, shot_start + in_frames - 1))
            truth.sources.append((name, shot_start))
            if flash is not None:
                truth.flashes.append(shot_start + flash)
            if name in ("pan", "shake", "sierpinski"):
                truth.moving_shots.append((shot_start, shot_start + length))
            pending = pictures
        for image in pending:
            writer.emit(image)
        writer.close()
        truth.frames = writer.count
    return path, truth


@dataclass(frozen=True)
class QCTruth:
    frames: int
    black: tuple[int, int]
    """First and last black frame."""
    frozen: tuple[int, int]
    """First and last repeat of the frozen picture (the picture itself is shown once before)."""
    silence: tuple[float, float]
    """Start and end of the silent stretch, seconds."""
    clipped_at: float
    """Where a burst of clipped samples sits, seconds."""
    tone_dbfs: float


def qc_clip(path: Path, *, seconds: int = 12, width: int = 320, height: int = 180) -> tuple[Path, QCTruth]:
    """testsrc2 with a black stretch, a frozen stretch, and a -20 dBFS tone with silence and clipping."""
    total = seconds * 25
    frames = _lavfi("testsrc2", width, height, total, 0, 0)
    black, frozen = (75, 99), (150, 199)
    for k in range(black[0], black[1] + 1):
        frames[k] = np.full_like(frames[k], 16)
    for k in range(frozen[0], frozen[1] + 1):
        frames[k] = frames[frozen[0] - 1]
    silence, clipped_at, tone = (6.0, 8.0), 10.0, -20.0
    rate = 48000
    t = np.arange(seconds * rate) / rate
    samples = (10 ** (tone / 20) * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    samples[int(silence[0] * rate) : int(silence[1] * rate)] = 0
    burst = slice(int(clipped_at * rate), int(clipped_at * rate) + 2400)
    samples[burst] = np.clip(samples[burst] * 40, -1.0, 1.0)
    with av.open(str(path), "w") as out:
        video = _Writer(out, width, height)
        audio = out.add_stream("pcm_s16le", rate=rate, layout="stereo")
        for rgb in frames:
            video.emit(rgb)
        video.close()
        step = 1920
        for start in range(0, len(samples), step):
            chunk = samples[start : start + step]
            pcm = (np.clip(chunk, -1, 1 - 1 / 32768) * 32767).astype(np.int16)
            aframe = av.AudioFrame.from_ndarray(np.repeat(pcm[None, :], 2, axis=0).T.reshape(1, -1), "s16", "stereo")
            aframe.sample_rate, aframe.pts, aframe.time_base = rate, start, Fraction(1, rate)
            out.mux(audio.encode(aframe))
        out.mux(audio.encode(None))
    return path, QCTruth(total, black, frozen, silence, clipped_at, tone)


def tone_wav(path: Path, dbfs: float, *, seconds: float = 6.0, frequency: float = 997.0) -> Path:
    """A stereo sine at ``dbfs`` in both channels (BS.1770: about ``dbfs`` LKFS at 1 kHz)."""
    rate = 48000
    t = np.arange(int(seconds * rate)) / rate
    pcm = (10 ** (dbfs / 20) * np.sin(2 * np.pi * frequency * t) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as out:
        audio = out.add_stream("pcm_s16le", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.repeat(pcm[None, :], 2, axis=0).T.reshape(1, -1), "s16", "stereo")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return path


def _scores(found: Sequence[F], truth: Sequence[T], matches: Callable[[F, T], bool]) -> tuple[float, float, float]:
    """Precision, recall, F1: each found item, in order, takes the first remaining truth it matches."""
    remaining = list(truth)
    hits = 0
    for item in found:
        match = next((t for t in remaining if matches(item, t)), None)
        if match is not None:
            remaining.remove(match)
            hits += 1
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate_cuts(found: list[int], truth: list[int], tolerance: int) -> tuple[float, float, float]:
    """Precision, recall, F1 of detected cut frames against the truth, each matched at most once."""
    return _scores(sorted(found), sorted(truth), lambda cut, t: abs(t - cut) <= tolerance)


def evaluate_transitions(
    found: list[tuple[str, int, int]], truth: list[tuple[str, int, int]]
) -> tuple[float, float, float]:
    """Like :func:`evaluate_graduals`, but a found range matches only a true transition of its own kind."""
    return _scores(found, truth, lambda f, t: f[0] == t[0] and _overlap(f[1:], t[1:]))


def evaluate_graduals(found: list[tuple[int, int]], truth: list[tuple[int, int]]) -> tuple[float, float, float]:
    """A found range matches a true transition it overlaps (each truth matched at most once)."""
    return _scores(found, truth, _overlap)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Two ranges of frames, first and last included, share a frame."""
    return a[0] <= b[1] and b[0] <= a[1]


def boundaries(found: list[tuple[str, int, int]], gap: int = 12) -> list[tuple[int, int]]:
    """Gradual transitions as shot boundaries: a fade out and the fade in that follows it are one."""
    ranges: list[tuple[int, int]] = []
    previous = ""
    for kind, start, end in found:
        if kind == "fade_in" and previous == "fade_out" and start - ranges[-1][1] <= gap:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
        previous = kind
    return ranges


_FIELD_ORDER_CODES = {"tff": 2, "bff": 3}  # AVFieldOrder: AV_FIELD_TT, AV_FIELD_BB


def interlaced_clip(path: Path, *, content: str, declared: str, seconds: float = 3.0) -> Path:
    """MPEG-2 interlaced 25i from moving 50p pictures: each frame weaves two pictures in time, the
    earlier one in the ``content`` field ("tff": top lines); the stream is flagged ``declared``."""
    width, height = 320, 180
    graph = av.filter.Graph()
    chain = [
        graph.add("testsrc2", f"size={width}x{height}:rate=50"),
        graph.add("setfield", "tff"),
        graph.add("separatefields"),  # top and bottom field of each picture, in that order
        # tff: the top field of picture 2k with the bottom of 2k+1; bff: the bottom of 2k with the top of 2k+1
        graph.add(
            "select", "eq(mod(n\\,4)\\,0)+eq(mod(n\\,4)\\,3)" if content == "tff" else "between(mod(n\\,4)\\,1\\,2)"
        ),
        graph.add("weave", f"first_field={'top' if content == 'tff' else 'bottom'}"),
        graph.add("setfield", declared),
        graph.add("format", "yuv420p"),
        graph.add("buffersink"),
    ]
    for a, b in itertools.pairwise(chain):
        a.link_to(b)
    graph.configure()
    with av.open(str(path), "w", format="mov") as out:
        video = out.add_stream("mpeg2video", rate=25, options={"flags": "+ildct+ilme", "b": "4M", "g": "12"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.field_order = _FIELD_ORDER_CODES[declared]
        for index in range(round(seconds * 25)):
            frame = chain[-1].pull()
            frame.pts, frame.time_base = index, Fraction(1, 25)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path


def _wav(path: Path, samples: npt.NDArray[np.float32], rate: int = 48000) -> Path:
    """Float stereo WAV of ``samples`` (channels, n)."""
    with av.open(str(path), "w", format="wav") as out:
        audio = out.add_stream("pcm_f32le", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T.reshape(1, -1)), "flt", "stereo")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return path


def programme_wav(path: Path, *, seed: int = 2) -> Path:
    """Ten seconds of changing loudness: tones and noise at several levels, the channels unlike."""
    rate, rng = 48000, np.random.default_rng(seed)
    parts = []
    for seconds, level, kind in (
        (2.0, -18.0, "tone"),
        (3.0, -32.0, "noise"),
        (2.5, -24.0, "chord"),
        (2.5, -28.0, "noise"),
    ):
        t = np.arange(int(seconds * rate)) / rate
        if kind == "tone":
            left = np.sin(2 * np.pi * 997 * t)
            right = 0.7 * np.sin(2 * np.pi * 1499 * t)
        elif kind == "chord":
            left = 0.5 * np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 3150 * t)
            right = 0.8 * np.sin(2 * np.pi * 440 * t)
        else:
            left, right = rng.standard_normal(t.size) / 3, rng.standard_normal(t.size) / 4
        parts.append(10 ** (level / 20) * np.stack([left, right]))
    return _wav(path, np.concatenate(parts, axis=1).astype(np.float32))


def quarter_rate_sine_wav(path: Path, amplitude: float, *, seconds: float = 3.0) -> Path:
    """A sine at a quarter of the sample rate, 45 degrees off: every sample is at ±amplitude/√2, so
    the sample peak is 3.01 dB under the true peak (``amplitude``), which lies between samples. It
    rises and falls over 0.2 s: a sine that starts at full level is a step, and any band-limited
    interpolator rings on a step (about 0.6 dB over, for ebur128's)."""
    rate = 48000
    n = np.arange(int(seconds * rate))
    edge = 0.5 - 0.5 * np.cos(np.pi * np.minimum(1.0, n / (0.2 * rate)))
    wave = amplitude * edge * edge[::-1] * np.sin(np.pi / 2 * n + np.pi / 4)
    return _wav(path, np.stack([wave, wave]).astype(np.float32), rate)


def wav_samples(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """The samples of a WAV file as (channels, n) floats, and its sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray() for frame in container.decode(stream)]
        channels, rate = stream.codec_context.channels, stream.codec_context.sample_rate
    data = np.concatenate(frames, axis=1)
    return np.asarray(data.reshape(-1, channels).T if data.shape[0] == 1 else data, np.float64), rate
