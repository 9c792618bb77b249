"""Pictures kept from the analysis decode: a keyframe per shot, the poster, and the storyboard.

Keyframe candidates are scored (detail times contrast, zero for black, white or flat pictures)
and the best of every half second is kept as a small JPEG, so memory stays small on long
programmes. Each shot then takes its best candidate away from its transitions. The storyboard
takes one tile at a fixed interval into sprite sheets of 10 x 10 tiles, described by a WebVTT
thumbnails track (``sheet.jpg#xywh=x,y,w,h`` cues, as web players expect).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame

from transcode.analysis.detector import Gray
from transcode.errors import RenderError
from transcode.posters import frame_score

__all__ = ["Candidate", "KeyframePicker", "Storyboard", "vtt_time"]

_COLUMNS = _ROWS = 10


@dataclass(frozen=True)
class Candidate:
    index: int
    seconds: float
    score: float
    jpeg: bytes


def _jpeg(bgr: npt.NDArray[np.uint8], quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RenderError("could not encode an analysis JPEG")
    return bytes(data.tobytes())


class KeyframePicker:
    def __init__(self, rate: float) -> None:
        self.bucket = max(1, round(rate / 2))
        self.candidates: list[Candidate] = []
        self.best: tuple[float, int, float, VideoFrame] | None = None

    def offer(self, frame: VideoFrame, gray: Gray, index: int, seconds: float) -> None:
        if index % self.bucket == 0:
            self._close()
        if index % 2:
            return
        score = frame_score(gray)
        if self.best is None or score > self.best[0]:
            self.best = (score, index, seconds, frame)

    def _close(self) -> None:
        if self.best is not None:
            score, index, seconds, frame = self.best
            self.candidates.append(
                Candidate(index, seconds, score, _jpeg(np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)))
            )
            self.best = None

    def choose(self, shots: list[tuple[int, int]], avoid: list[tuple[int, int]]) -> list[Candidate | None]:
        """The best candidate of each (first, last) shot, away from the ``avoid`` ranges if it can."""
        self._close()
        chosen: list[Candidate | None] = []
        for first, last in shots:
            inside = [c for c in self.candidates if first <= c.index <= last]
            clear = [c for c in inside if not any(s - 1 <= c.index <= e + 1 for s, e in avoid)]
            # Away from transitions if a picture there has content; otherwise the best of the whole shot,
            # so a black or flat picture is taken only when the shot has nothing else.
            pool = clear if any(c.score > 0 for c in clear) else inside
            chosen.append(max(pool, key=lambda c: c.score) if pool else None)
        return chosen


def vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


class Storyboard:
    def __init__(self, interval: float, tile_width: int = 160) -> None:
        self.interval, self.tile_width = interval, tile_width
        self.tiles: list[tuple[float, npt.NDArray[np.uint8]]] = []
        self.next_at = 0.0

    def offer(self, frame: VideoFrame, seconds: float) -> None:
        if seconds + 1e-6 < self.next_at:
            return
        height = max(2, round(frame.height * self.tile_width / frame.width / 2) * 2)
        tile = frame.to_ndarray(format="bgr24", width=self.tile_width, height=height)
        self.tiles.append((seconds, np.asarray(tile, np.uint8)))
        self.next_at = len(self.tiles) * self.interval

    def write(self, folder: Path, duration: float) -> tuple[list[Path], Path | None]:
        """Sprite sheets and the WebVTT track that points into them (relative ``storyboard/N.jpg``)."""
        if not self.tiles:
            return [], None
        folder.mkdir(parents=True, exist_ok=True)
        h, w = self.tiles[0][1].shape[:2]
        per_sheet = _COLUMNS * _ROWS
        sheets, cues = [], ["WEBVTT", ""]
        for number, first in enumerate(range(0, len(self.tiles), per_sheet)):
            group = self.tiles[first : first + per_sheet]
            rows = (len(group) + _COLUMNS - 1) // _COLUMNS
            sheet = np.zeros((rows * h, min(len(group), _COLUMNS) * w, 3), np.uint8)
            for k, (seconds, tile) in enumerate(group):
                x, y = (k % _COLUMNS) * w, (k // _COLUMNS) * h
                sheet[y : y + h, x : x + w] = tile[:h, :w]
                end = min(duration, seconds + self.interval) if duration > seconds else seconds + self.interval
                cues += [
                    f"{vtt_time(seconds)} --> {vtt_time(end)}",
                    f"storyboard/{number}.jpg#xywh={x},{y},{w},{h}",
                    "",
                ]
            path = folder / f"storyboard_{number}.jpg"
            path.write_bytes(_jpeg(sheet, 80))
            sheets.append(path)
        vtt = folder / "storyboard.vtt"
        vtt.write_text("\n".join(cues), encoding="utf-8")
        return sheets, vtt
