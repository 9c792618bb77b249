"""Sound QC on the programme mix, fed the frames of the loudness pass: silence and clipping."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame

__all__ = ["AudioMeter"]

_WINDOW_SECONDS = 0.01
_CLIP_LEVEL = 0.999
_CLIP_RUN = 3
"""Consecutive samples at full scale that count as one clipping event."""


def _samples(frame: AudioFrame) -> npt.NDArray[np.float64]:
    """(channels, samples) in -1..1 whatever the sample format."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    if data.dtype == np.int16:
        return np.asarray(data, np.float64) / 32768.0
    if data.dtype == np.int32:
        return np.asarray(data, np.float64) / 2147483648.0
    return np.asarray(data, np.float64)


class AudioMeter:
    """Silent stretches (10 ms windows under ``silence_db``) and runs of clipped samples."""

    def __init__(self, silence_db: float = -60.0, min_silence: float = 0.5) -> None:
        self.threshold = 10 ** (silence_db / 20)
        self.silence_db, self.min_silence = silence_db, min_silence
        self.rate = 0
        self.position = 0
        self.pending = np.zeros((1, 0))
        self.silent_since: float | None = None
        self.silences: list[tuple[float, float]] = []
        self.clipped_samples = 0
        self.clip_events: list[float] = []
        self.clip_count = 0
        self.run = 0

    def offer(self, frame: AudioFrame) -> None:
        samples = _samples(frame)
        self.rate = frame.sample_rate
        peaks = np.abs(samples).max(axis=0)
        clipped = peaks >= _CLIP_LEVEL
        self.clipped_samples += int(clipped.sum())
        if clipped.any():
            base = self.position + self.pending.shape[1]
            for k in (int(i) for i in np.flatnonzero(clipped)):
                self.run = self.run + 1 if k == 0 or bool(clipped[k - 1]) else 1
                if self.run == _CLIP_RUN:
                    self.clip_count += 1
                    if len(self.clip_events) < 20:
                        self.clip_events.append((base + int(k) - _CLIP_RUN + 1) / self.rate)
        else:
            self.run = 0
        if self.pending.shape[0] != samples.shape[0]:
            self.pending = np.zeros((samples.shape[0], 0))
        self.pending = np.concatenate([self.pending, samples], axis=1)
        window = max(1, round(self.rate * _WINDOW_SECONDS))
        usable = self.pending.shape[1] // window * window
        if usable:
            blocks = self.pending[:, :usable].reshape(self.pending.shape[0], -1, window)
            rms = np.sqrt((blocks**2).mean(axis=(0, 2)))
            for k, level in enumerate(rms):
                self._window(level < self.threshold, (self.position + k * window) / self.rate)
            self.position += usable
            self.pending = self.pending[:, usable:]

    def _window(self, silent: bool, at: float) -> None:
        if silent and self.silent_since is None:
            self.silent_since = at
        elif not silent and self.silent_since is not None:
            if at - self.silent_since >= self.min_silence:
                self.silences.append((self.silent_since, at))
            self.silent_since = None

    def result(self) -> dict[str, Any]:
        end = self.position / self.rate if self.rate else 0.0
        if self.silent_since is not None and end - self.silent_since >= self.min_silence:
            self.silences.append((self.silent_since, end))
        self.silent_since = None
        return {
            "silence": [
                {"start": round(s, 3), "end": round(e, 3), "duration": round(e - s, 3)} for s, e in self.silences
            ],
            "silence_threshold_db": self.silence_db,
            "clipped_samples": self.clipped_samples,
            "clipping_events": self.clip_count,
            "first_clipping": [round(t, 3) for t in self.clip_events],
            "seconds": round(end, 3),
        }
