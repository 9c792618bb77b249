"""A file's sound as peaks for drawing its waveform: the loudest sample (of any channel, -1..1 as a
magnitude 0..1) in each of ``points`` equal stretches of the first audio stream.

The decode streams (a block's maximum is kept per 1,024 samples), so an hour of radio takes a few
megabytes whatever its length."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame

__all__ = ["Peaks", "audio_peaks"]

_BLOCK = 1024
_FULL_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2147483648.0, "s64": 9223372036854775808.0}


@dataclass(frozen=True)
class Peaks:
    duration: float
    """seconds of sound decoded"""
    sample_rate: int
    peaks: list[float]
    """``points`` magnitudes in 0..1 (fewer for a short file; none without sound)"""


def _magnitudes(frame: AudioFrame) -> npt.NDArray[np.float32]:
    """|sample| of each instant, the loudest channel's, in 0..1."""
    data = frame.to_ndarray()
    name = frame.format.name.rstrip("p")
    values = np.abs(data.astype(np.float32) - (128.0 if name == "u8" else 0.0)) / _FULL_SCALE.get(name, 1.0)
    channels = len(frame.layout.channels)
    loudest: npt.NDArray[np.float32] = (
        values.max(axis=0) if frame.format.is_planar else values.reshape(-1, channels).max(axis=1)
    )
    return loudest


def audio_peaks(path: Path, points: int) -> Peaks:
    """The waveform of ``path``'s first audio stream in ``points`` stretches."""
    blocks: list[float] = []
    carry = np.zeros(0, np.float32)
    samples, rate = 0, 0
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return Peaks(0.0, 0, [])
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            rate = frame.sample_rate or rate
            level = np.concatenate((carry, _magnitudes(frame)))
            samples += frame.samples
            whole = len(level) - len(level) % _BLOCK
            if whole:
                blocks.extend(level[:whole].reshape(-1, _BLOCK).max(axis=1).tolist())
            carry = level[whole:]
    if len(carry):
        blocks.append(float(carry.max()))
    if not blocks:
        return Peaks(0.0, rate, [])
    groups = np.array_split(np.asarray(blocks, np.float32), min(points, len(blocks)))
    peaks = [round(min(1.0, float(group.max())), 4) for group in groups]
    return Peaks(samples / rate if rate else 0.0, rate, peaks)
