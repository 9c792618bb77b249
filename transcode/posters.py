"""Choose a poster frame: the most detailed candidate that is neither black, white nor flat."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from av.video.frame import VideoFrame

from transcode.errors import RenderError

__all__ = ["PosterPicker", "frame_score"]

# A candidate poster must be neither near-black, near-white nor flat.
_MIN_MEAN, _MAX_MEAN, _MIN_STD = 24.0, 232.0, 12.0


def frame_score(gray: np.ndarray) -> float:
    """How telling a picture is: contrast times detail; zero for black, white or flat pictures."""
    mean, std = float(gray.mean()), float(gray.std())
    if mean < _MIN_MEAN or mean > _MAX_MEAN or std < _MIN_STD:
        return 0.0
    detail = float(cv2.Laplacian(gray, cv2.CV_32F).var())
    return std * float(np.log1p(detail))


class PosterPicker:
    """Offer yuv420p frames; ``write`` saves the best one as a JPEG."""

    def __init__(self, path: Path, quality: int) -> None:
        self.path, self.quality = path, quality
        self.best: VideoFrame | None = None
        self.best_score = -1.0

    def offer(self, frame: VideoFrame) -> None:
        plane = frame.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
        score = frame_score(rows[: frame.height : 4, : frame.width : 4])
        if score > self.best_score:
            self.best, self.best_score = frame, score

    def write(self) -> None:
        if self.best is None:
            raise RenderError("the source has no picture to make a poster from")
        ok, data = cv2.imencode(".jpg", self.best.to_ndarray(format="bgr24"), [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise RenderError("could not encode the poster JPEG")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(data.tobytes())
