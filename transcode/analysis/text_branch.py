"""On-screen text rides the render's decode as one more analysis branch.

``TextBranch`` (progressive route, no filter of its own) looks at about :data:`SAMPLES_PER_SECOND`
pictures a second. For each it reads a 320-pixel gray picture from the luma plane (as the shot
detector does) and makes a cheap change test: in the cells where text may stand (dense strong
edges, now or in the last picture sent for reading), did the pixels change? An unchanged sample
costs about a millisecond and only extends the lines already open; a changed one is copied at
:data:`~transcode.analysis.text.READ_WIDTH` and queued for the reader thread, which detects the
text lines and recognises only those that are not the same box with the same pixels as an open
line (so a static strap over a moving background is recognised once). The reader thread loads the
models when the branch is made, while the decode starts; the queue is short, so a decode never
runs far ahead of its reading.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time

import cv2
import numpy as np
import numpy.typing as npt
from av.frame import Frame
from av.video.frame import VideoFrame

from transcode.analysis.branch import _Consumer
from transcode.analysis.standalone import small_gray
from transcode.analysis.text import (
    BGR,
    DETECT_WIDTH,
    MIN_SCORE,
    READ_WIDTH,
    SAME_INK,
    Box,
    LineTracker,
    Reading,
    TextLine,
    TextReader,
    merge_pieces,
    quad_box,
    signature_of,
)
from transcode.errors import RenderError
from transcode.graphs import Step

__all__ = ["SAMPLES_PER_SECOND", "TextBranch", "changed", "changed_cells", "moment"]

SAMPLES_PER_SECOND = 2.0
DETECT_EVERY = 1.0
"""While every line already read stands unchanged, a changed picture (a moving background) is looked
at by the detector at most this often (a new line is then dated back to the samples that showed it)."""
_CELL = 8
"""Cells of the change test, in pixels of the 320-pixel picture."""
_EDGE = 48
"""A gray step at least this large (0-255) between neighbours is a stroke edge."""
_TEXTY = 0.08
"""A cell with at least this share of stroke edges may hold text."""
_CHANGED = 10.0
"""Mean gray difference (0-255) in one such cell that counts as a change."""

_Gray = npt.NDArray[np.uint8]
_Item = tuple[float, float, BGR | None]
"""A sample's time, when its text changed (to the frame), and its picture (None: unchanged)."""


def _texty(gray: _Gray) -> npt.NDArray[np.bool_]:
    g = gray.astype(np.int16)
    edges = np.zeros(g.shape, np.uint8)
    edges[:, 1:] |= (np.abs(g[:, 1:] - g[:, :-1]) >= _EDGE).astype(np.uint8)
    edges[1:, :] |= (np.abs(g[1:, :] - g[:-1, :]) >= _EDGE).astype(np.uint8)
    cells = (gray.shape[1] // _CELL, gray.shape[0] // _CELL)
    density = cv2.resize(edges.astype(np.float32), cells, interpolation=cv2.INTER_AREA)
    return np.asarray(density >= _TEXTY)


def _per_cell(a: _Gray, b: _Gray, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
    diff = cv2.absdiff(a, b).astype(np.float32)
    return np.asarray(cv2.resize(diff, (shape[1], shape[0]), interpolation=cv2.INTER_AREA), np.float32)


def changed_cells(now: _Gray, before: _Gray) -> npt.NDArray[np.bool_]:
    """The cells where text may have appeared, gone or changed between two 320-pixel gray pictures."""
    cells = _texty(now) | _texty(before)
    if not cells.any():
        return cells
    return np.asarray(cells & (_per_cell(now, before, cells.shape) >= _CHANGED))


def changed(now: _Gray, before: _Gray) -> bool:
    return bool(changed_cells(now, before).any())


def moment(frames: list[tuple[float, _Gray]], cells: npt.NDArray[np.bool_]) -> float:
    """When, among consecutive ``frames``, the pictures changed most in ``cells``: the first frame after
    the largest step (text appears or goes at once; a moving background changes a little every frame)."""
    best, when = -1.0, frames[-1][0]
    for (_, before), (seconds, now) in itertools.pairwise(frames):
        step = float(_per_cell(now, before, cells.shape)[cells].mean())
        if step > best:
            best, when = step, seconds
    return when


class TextBranch(_Consumer):
    def __init__(self, samples_per_second: float = SAMPLES_PER_SECOND, reader: TextReader | None = None) -> None:
        super().__init__("progressive")
        self.interval = 1.0 / samples_per_second
        self.next_sample = 0.0
        self.reference: _Gray | None = None
        self.tracker = LineTracker()
        self.samples = self.read = self.recognised = 0
        self.reader_seconds = self.load_seconds = 0.0
        self.lines: list[TextLine] = []
        self._last = 0.0
        self._since: list[tuple[float, _Gray]] = []
        self._detected = -DETECT_EVERY
        self._skipped: list[tuple[float, BGR]] = []
        """Samples whose picture changed but whose known lines all stood, since the last detection."""
        """The 320-pixel gray pictures since the last sample (that one first)."""
        self._error: BaseException | None = None
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=4)
        self._reader = reader
        self._thread = threading.Thread(target=self._work, name="ocr", daemon=True)
        self._thread.start()

    def steps(self) -> list[Step]:
        return []

    def consume(self, frame: Frame, sink: int) -> None:
        assert isinstance(frame, VideoFrame)
        seconds = float(frame.time or 0.0)
        self.frames += 1
        step = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else 0.0
        self.duration = max(self.duration, seconds + (step or seconds - self._last))
        self._last = seconds
        gray = small_gray(frame, 320)  # every picture: when text changes is found to the frame
        if seconds + 1e-6 < self.next_sample:
            self._since.append((seconds, gray))
            return
        self.next_sample = max(self.next_sample + self.interval, seconds + self.interval / 2)
        self.samples += 1
        since, self._since = [*self._since, (seconds, gray)], [(seconds, gray)]
        cells = changed_cells(gray, self.reference) if self.reference is not None else None
        if cells is not None and not cells.any():
            self._put((seconds, seconds, None))
            return
        self.reference = gray
        width = min(READ_WIDTH, frame.width) // 2 * 2
        height = max(2, round(width * frame.height / frame.width / 2) * 2)
        picture = np.asarray(frame.to_ndarray(format="bgr24", width=width, height=height), np.uint8)
        self._put((seconds, seconds if cells is None else moment(since, cells), picture))

    def _put(self, item: _Item | None) -> None:
        while self._error is None:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue
        raise RenderError(f"reading on-screen text failed: {self._error}") from self._error

    def _work(self) -> None:
        try:
            started = time.perf_counter()
            reader = self._reader or TextReader()
            self.load_seconds = time.perf_counter() - started
            self.reader_seconds += self.load_seconds
            while (item := self._queue.get()) is not None:
                started = time.perf_counter()
                seconds, when, picture = item
                if picture is None:
                    self.tracker.unchanged(seconds)
                else:
                    self._read(reader, seconds, when, picture)
                self.reader_seconds += time.perf_counter() - started
        except BaseException as exc:  # handed to the decode thread at its next sample or at the end
            self._error = exc

    def _read(self, reader: TextReader, seconds: float, when: float, picture: BGR) -> None:
        if seconds - self._detected < DETECT_EVERY and self.tracker.stands(picture):
            self._skipped.append((when, picture))  # nothing known changed: detect at the next sample
            self.tracker.unchanged(seconds)
            return
        self._detected = seconds
        self.read += 1
        h, w = picture.shape[:2]
        small_h = max(32, round(DETECT_WIDTH * h / w))
        small = np.asarray(cv2.resize(picture, (DETECT_WIDTH, small_h), interpolation=cv2.INTER_AREA), np.uint8)
        quads = reader.detect(small)
        scale = np.array([w / DETECT_WIDTH, h / small_h], np.float32)
        kept, fresh = [], []
        for quad in quads:
            box = quad_box(quad, DETECT_WIDTH, small_h)
            line = self.tracker.matching(box, picture)
            if line is not None:
                kept.append(line)
            else:
                fresh.append((quad * scale, box))
        self.recognised += len(fresh)
        texts = reader.recognise(picture, [q for q, _ in fresh])
        readings = [
            Reading(text, score, box)
            for (text, score), (_, box) in zip(texts, fresh, strict=True)
            if score >= MIN_SCORE and len(text.replace(" ", "")) >= 2
        ]
        merged = merge_pieces(readings)
        found = [(r, signature_of(picture, r.box)) for r in merged]
        began = [self._began(r.box, ink, when) for r, ink in found]
        self._skipped = []
        self.tracker.seen(seconds, found, list({id(k): k for k in kept}.values()), when, began)

    def _began(self, box: Box, ink: npt.NDArray[np.float32], when: float) -> float:
        """When a line first read now began: at the earliest of the samples not detected since the last
        detection that already show its ink (and every one after it), else ``when``."""
        for earlier, picture in reversed(self._skipped):
            if float(np.mean(np.abs(signature_of(picture, box) - ink))) >= SAME_INK:
                break
            when = earlier
        return when

    def finish(self) -> None:
        started = time.perf_counter()
        if self._error is None:
            self._put(None)
        self._thread.join()
        if self._error is not None:
            raise RenderError(f"reading on-screen text failed: {self._error}") from self._error
        self.lines = self.tracker.finish(self.duration)
        self.seconds += time.perf_counter() - started
