"""Burn a timecode box into a yuv420p frame in place (the proxy's burnt-in timecode).

The build of ffmpeg that PyAV ships has no ``drawtext``, so the label is drawn with OpenCV's
built-in vector font into a small patch and copied into the frame's planes: no font files, no
full-frame conversion.
"""

from __future__ import annotations

import cv2
import numpy as np
from av.video.frame import VideoFrame

__all__ = ["burn_label"]

_BLACK_Y, _WHITE_Y, _NEUTRAL_C = 16, 235, 128


def _plane(frame: VideoFrame, index: int, height: int, width: int) -> np.ndarray:
    plane = frame.planes[index]
    rows: np.ndarray = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
    return rows[:height, :width]


def burn_label(frame: VideoFrame, text: str) -> None:
    """Draw ``text`` in white on a black box at the bottom centre of ``frame`` (yuv420p)."""
    width, height = frame.width, frame.height
    scale = max(0.35, height / 450.0)
    thickness = max(1, round(height / 300.0))
    (tw, th), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = max(2, th // 3)
    box_w = min(width, (tw + 2 * pad + 1) // 2 * 2)
    box_h = min(height, (th + baseline + 2 * pad + 1) // 2 * 2)
    x0 = (width - box_w) // 2 // 2 * 2
    y0 = max(0, (height - box_h - max(2, height // 30)) // 2 * 2)
    patch = np.full((box_h, box_w), _BLACK_Y, np.uint8)
    cv2.putText(
        patch,
        text,
        (pad, box_h - pad - baseline // 2),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (_WHITE_Y,),
        thickness,
        cv2.LINE_AA,
    )
    frame.make_writable()
    _plane(frame, 0, height, width)[y0 : y0 + box_h, x0 : x0 + box_w] = patch
    for index in (1, 2):
        chroma = _plane(frame, index, (height + 1) // 2, (width + 1) // 2)
        chroma[y0 // 2 : (y0 + box_h) // 2, x0 // 2 : (x0 + box_w) // 2] = _NEUTRAL_C
