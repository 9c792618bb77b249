"""Shot detection on its own (no renditions): decode once, feed the detector a small grey picture.

The scaler is asked for the small grey picture directly with fast bilinear filtering: on the
evaluation set it finds dissolves as well as bicubic (gradual F1 0.95 against 0.93) for a
fraction of bicubic's cost, where sampling the luma plane on a grid (cheaper still) aliases on
fine texture and misses dissolves (0.83).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from av.video.frame import VideoFrame

from transcode.analysis.detector import Segment
from transcode.analysis.shots import ShotDetector
from transcode.inputs import open_input

__all__ = ["WIDTH", "detect_shots", "small_gray"]

WIDTH = 160
"""Width of the picture the detector sees."""


def small_gray(frame: VideoFrame, width: int = WIDTH) -> np.ndarray:
    height = max(2, round(width * frame.height / frame.width / 2) * 2)
    picture: np.ndarray = frame.to_ndarray(format="gray", width=width, height=height, interpolation="FAST_BILINEAR")
    return picture


def detect_shots(path: Path, detector: ShotDetector | None = None) -> list[Segment]:
    """Cuts and gradual transitions of ``path`` (frame numbers from 0)."""
    detector = detector or ShotDetector()
    with open_input(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        detector.start(float(stream.average_rate or 25))
        for index, frame in enumerate(container.decode(stream)):
            detector.process(small_gray(frame), index, float(frame.time or 0.0))
    return detector.finish()
