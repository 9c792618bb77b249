"""Pictures kept from the analysis decode: a keyframe per shot, the poster, and the storyboard.

Every picture is scored (detail times contrast, zero for black, white or flat pictures). The best
picture of each *bucket* becomes a keyframe candidate, written at once as a small JPEG file (so
memory stays small on long programmes and nothing is left to encode when the decode ends). A
bucket lasts half a second, and ends early where the picture changes: at a jump as large as a cut,
or once small changes add up (a dissolve, a fade). So every shot, however short, starts a bucket of
its own and has a candidate inside it. Each shot then takes its best candidate away from its
transitions. The storyboard takes one tile at a fixed interval into sprite sheets of 10 x 10 tiles,
each sheet written as soon as it is full, described by a WebVTT thumbnails track
(``sheet.jpg#xywh=x,y,w,h`` cues, as web players expect).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

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
    path: Path
    """The candidate picture, a JPEG file."""


def _jpeg(bgr: npt.NDArray[np.uint8], quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RenderError("could not encode an analysis JPEG")
    return bytes(data.tobytes())


class KeyframePicker:
    """Keeps the best picture of every bucket as a candidate keyframe in ``folder``.

    ``change`` (offered with each picture) is how much it differs from the one before, on the shot
    detector's scale (0 the same, about 1 unrelated): ``jump`` or more ends the bucket before the
    picture, as does ``drift`` added up over at least three pictures."""

    def __init__(self, rate: float, folder: Path, *, jump: float = 0.12, drift: float = 0.5, width: int = 320) -> None:
        self.bucket, self.width = max(1, round(rate / 2)), width
        self.scaler = VideoReformatter()  # one scaler kept: setting one up costs more than a small picture
        self.folder, self.jump, self.drift = folder, jump, drift
        self.candidates: list[Candidate] = []
        self.best: tuple[float, int, float, VideoFrame] | None = None
        self.first = 0
        self.changed = 0.0

    def offer(self, frame: VideoFrame, gray: Gray, index: int, seconds: float, change: float = 0.0) -> None:
        self.changed += change
        length = index - self.first
        if length >= self.bucket or change >= self.jump or (self.changed >= self.drift and length >= 3):
            self._close()
            self.first, self.changed = index, 0.0
        score = frame_score(gray)
        if self.best is None or score > self.best[0]:
            self.best = (score, index, seconds, frame)

    def _close(self) -> None:
        if self.best is not None:
            score, index, seconds, frame = self.best
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{index:08d}.jpg"
            height = max(2, round(frame.height * self.width / frame.width / 2) * 2)
            picture = self.scaler.reformat(frame, self.width, height, "bgr24", interpolation="AREA").to_ndarray()
            path.write_bytes(_jpeg(np.asarray(picture, np.uint8)))
            self.candidates.append(Candidate(index, seconds, score, path))
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

    def discard(self) -> None:
        """Delete the candidates' files (once the chosen ones are copied)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.candidates = []


def vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


class Storyboard:
    """Tiles every ``interval`` seconds; each full sprite sheet is written to ``folder`` at once."""

    def __init__(self, folder: Path, interval: float, tile_width: int = 160) -> None:
        self.folder, self.interval, self.tile_width = folder, interval, tile_width
        self.scaler = VideoReformatter()
        self.times: list[float] = []
        self.tiles: list[npt.NDArray[np.uint8]] = []
        """Tiles of the sheet being filled."""
        self.sheets: list[Path] = []
        self.size = (0, 0)
        self.next_at = 0.0

    def offer(self, frame: VideoFrame, seconds: float) -> None:
        if seconds + 1e-6 < self.next_at:
            return
        height = max(2, round(frame.height * self.tile_width / frame.width / 2) * 2)
        scaled = self.scaler.reformat(frame, self.tile_width, height, "bgr24", interpolation="AREA")
        tile = np.asarray(scaled.to_ndarray(), np.uint8)
        if not self.times:
            self.size = (tile.shape[0], tile.shape[1])
        self.tiles.append(tile)
        self.times.append(seconds)
        self.next_at = len(self.times) * self.interval
        if len(self.tiles) == _COLUMNS * _ROWS:
            self._sheet()

    def _sheet(self) -> None:
        if not self.tiles:
            return
        h, w = self.size
        rows = (len(self.tiles) + _COLUMNS - 1) // _COLUMNS
        sheet = np.zeros((rows * h, min(len(self.tiles), _COLUMNS) * w, 3), np.uint8)
        for k, tile in enumerate(self.tiles):
            x, y = (k % _COLUMNS) * w, (k // _COLUMNS) * h
            sheet[y : y + h, x : x + w] = tile[:h, :w]
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"storyboard_{len(self.sheets)}.jpg"
        path.write_bytes(_jpeg(sheet, 80))
        self.sheets.append(path)
        self.tiles = []

    def write(self, duration: float) -> tuple[list[Path], Path | None]:
        """The last sheet, and the WebVTT track that points into the sheets (relative ``storyboard/N.jpg``)."""
        self._sheet()
        if not self.times:
            return [], None
        h, w = self.size
        per_sheet = _COLUMNS * _ROWS
        cues = ["WEBVTT", ""]
        for k, seconds in enumerate(self.times):
            number, place = divmod(k, per_sheet)
            x, y = (place % _COLUMNS) * w, (place // _COLUMNS) * h
            end = min(duration, seconds + self.interval) if duration > seconds else seconds + self.interval
            cues += [f"{vtt_time(seconds)} --> {vtt_time(end)}", f"storyboard/{number}.jpg#xywh={x},{y},{w},{h}", ""]
        vtt = self.folder / "storyboard.vtt"
        vtt.write_text("\n".join(cues), encoding="utf-8")
        return list(self.sheets), vtt
