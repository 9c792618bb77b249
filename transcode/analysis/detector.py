"""The detector interface: analyzers that look at small decoded pictures one at a time.

A detector sees every decoded picture of the progressive route as a small gray image (``uint8``,
about 160 pixels wide), with its frame number and time. It must implement :meth:`Detector.process`;
the other hooks have defaults. Detectors are registered by name in :data:`DETECTORS`, so that the
analysis branch (and the benchmark) can build them from a list of names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

__all__ = ["DETECTORS", "Detector", "Gray", "Segment", "register"]

Gray = npt.NDArray[np.uint8]
"""A small gray picture: rows by columns of luma (limited range, black is 16)."""


@dataclass(frozen=True)
class Segment:
    """A range of frames a detector found: ``first`` and ``last`` are inclusive frame numbers."""

    kind: str
    first: int
    last: int
    start: float
    """Seconds of the first frame."""
    end: float
    """Seconds just after the last frame."""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "first_frame": self.first,
            "last_frame": self.last,
            "start": round(self.start, 4),
            "end": round(self.end, 4),
            "duration": round(self.duration, 4),
            **self.details,
        }


class Detector(ABC):
    """Looks at every picture in order; reports what it found from :meth:`finish`."""

    name: ClassVar[str] = ""

    @abstractmethod
    def process(self, gray: Gray, index: int, seconds: float) -> None:
        """Take picture number ``index`` (shown at ``seconds``)."""

    def start(self, rate: float) -> None:  # noqa: B027  (an optional hook)
        """Called once before the first picture with the nominal frame rate."""

    def finish(self) -> list[Segment]:
        """Called once after the last picture; what the detector found, in time order."""
        return []


DETECTORS: dict[str, type[Detector]] = {}
"""Every detector class by name."""


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: add ``cls`` to :data:`DETECTORS` under its ``name``."""
    DETECTORS[cls.name] = cls
    return cls
