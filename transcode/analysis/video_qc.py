"""Picture QC detectors on small gray pictures: black stretches and frozen (repeated) pictures."""

from __future__ import annotations

import numpy as np

from transcode.analysis.detector import Detector, Gray, Segment, register

__all__ = ["BlackDetector", "FreezeDetector", "is_black"]

_BLACK_PIXEL = 16 + 0.10 * 219


def is_black(gray: Gray) -> bool:
    """At least 98% of pixels darker than 10% above black (like ``blackdetect``'s defaults)."""
    return float((gray <= _BLACK_PIXEL).mean()) >= 0.98


class _Runs(Detector):
    """Collects runs of consecutive pictures for which :meth:`hit` is true."""

    min_frames = 2

    def start(self, rate: float) -> None:
        self.rate = rate if rate > 0 else 25.0
        self.runs: list[Segment] = []
        self.first: int | None = None
        self.first_time = 0.0
        self.last_time = 0.0
        self.count = 0

    def __init__(self) -> None:
        self.start(25.0)

    def hit(self, gray: Gray) -> bool:
        raise NotImplementedError

    def process(self, gray: Gray, index: int, seconds: float) -> None:
        if self.hit(gray):
            if self.first is None:
                self.first, self.first_time = index, seconds
        else:
            self._close(index - 1, seconds)
        self.last_time, self.count = seconds, index + 1

    def _close(self, last: int, end: float) -> None:
        if self.first is not None and last - self.first + 1 >= self.min_frames:
            self.runs.append(Segment(self.name, self.first, last, self.first_time, end))
        self.first = None

    def finish(self) -> list[Segment]:
        self._close(self.count - 1, self.last_time + 1.0 / self.rate)
        return self.runs


@register
class BlackDetector(_Runs):
    """Pictures where at least 98% of pixels are darker than 10% above black (like ``blackdetect``)."""

    name = "black"

    def hit(self, gray: Gray) -> bool:
        return is_black(gray)


@register
class FreezeDetector(_Runs):
    """Pictures that repeat the one before (mean difference under 0.4 of 255); black is not frozen."""

    name = "freeze"

    def start(self, rate: float) -> None:
        super().start(rate)
        self.previous: Gray | None = None

    def hit(self, gray: Gray) -> bool:
        previous, self.previous = self.previous, gray
        if previous is None or previous.shape != gray.shape or is_black(gray):
            return False
        return float(np.abs(gray.astype(np.int16) - previous).mean()) < 0.4
