"""On-screen text (字幕, name straps, headline bars): read pictures with PP-OCR, merge readings into timed lines.

:class:`TextReader` wraps ``rapidocr-onnxruntime`` (its wheel ships the PP-OCRv4 Chinese detection
and recognition models: nothing is downloaded) and is imported only when a reader is made, so an
analysis without OCR loads nothing of it. Detection runs on a picture :data:`DETECT_WIDTH` pixels
wide; each line found is recognised from a sharper copy of the picture (:data:`READ_WIDTH`), and
only when it is not the line already held at that place (same box, same pixels): a static strap
is recognised once. No angle classifier: broadcast text stands upright.

:class:`LineTracker` merges consecutive readings of the same text at the same place into one
:class:`TextLine` (first time seen, the time of the first sample it was gone, region).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "DETECT_WIDTH",
    "READ_WIDTH",
    "LineTracker",
    "Reading",
    "TextLine",
    "TextReader",
    "region_of",
    "similarity",
]

DETECT_WIDTH = 640
"""Width of the picture the text detector sees (16-pixel captions of a 1080p picture stay readable)."""
READ_WIDTH = 1280
"""Width of the picture lines are cut from for recognition (at most the source's own)."""
MIN_SCORE = 0.6
"""Readings the recogniser is less sure of are dropped (noise, texture read as letters)."""
SAME_TEXT = 0.7
"""Two readings at one place are the same line when their similarity (1 - edit distance / length) is at least this."""

SAME_INK = 0.06
"""A detected line whose ink differs from an open line's (same box) in less than this share of its
pixels is that line, still standing."""

Box = tuple[float, float, float, float]
"""left, top, right, bottom as fractions of the picture's width and height."""
BGR = npt.NDArray[np.uint8]

_LATIN = re.compile(r"[0-9A-Za-z]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Reading:
    text: str
    score: float
    box: Box


@dataclass(frozen=True)
class TextLine:
    start: float
    end: float
    text: str
    region: str
    """``subtitle`` (a centred line at the bottom), ``strap`` (lower part, not centred: name straps,
    headline bars) or ``other``."""
    confidence: float
    box: Box

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "region": self.region,
            "confidence": round(self.confidence, 3),
            "box": [round(v, 4) for v in self.box],
        }


def region_of(box: Box) -> str:
    left, top, right, bottom = box
    middle, centre = (top + bottom) / 2, (left + right) / 2
    if middle >= 0.72 and abs(centre - 0.5) <= 0.12:
        return "subtitle"
    if middle >= 0.55:
        return "strap"
    return "other"


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    """1 - edit distance / the longer length (1.0 the same, 0.0 nothing alike)."""
    if not a and not b:
        return 1.0
    return 1.0 - _distance(a, b) / max(len(a), len(b))


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 0.0


def clean(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _join(left: str, right: str) -> str:
    """Pieces of one line: a space between two Latin words, none next to Chinese."""
    if left and right and _LATIN.match(left[-1]) and _LATIN.match(right[0]):
        return f"{left} {right}"
    return left + right


def merge_pieces(readings: list[Reading]) -> list[Reading]:
    """Boxes side by side on one baseline (a gap under about a character) become one line."""
    out: list[Reading] = []
    for r in sorted(readings, key=lambda r: (round((r.box[1] + r.box[3]) * 50), r.box[0])):
        if out:
            last = out[-1]
            height = min(last.box[3] - last.box[1], r.box[3] - r.box[1])
            shared = min(last.box[3], r.box[3]) - max(last.box[1], r.box[1])
            gap = r.box[0] - last.box[2]
            if height > 0 and shared >= 0.6 * height and -0.5 * height <= gap <= 1.5 * height:
                box = (last.box[0], min(last.box[1], r.box[1]), max(last.box[2], r.box[2]), max(last.box[3], r.box[3]))
                out[-1] = Reading(_join(last.text, r.text), min(last.score, r.score), box)
                continue
        out.append(r)
    return out


@dataclass(eq=False)
class _Open:
    reading: Reading
    first: float
    last: float
    signature: npt.NDArray[np.float32]
    votes: dict[str, float] = field(default_factory=dict)

    def vote(self, reading: Reading) -> None:
        self.votes[reading.text] = self.votes.get(reading.text, 0.0) + reading.score
        best = max(self.votes.items(), key=lambda kv: kv[1])[0]
        if reading.text == best or reading.score > self.reading.score:
            self.reading = Reading(best, max(self.reading.score, reading.score), self.reading.box)


class LineTracker:
    """Turns timed readings into lines: the same text at the same place, sample after sample, is one line."""

    def __init__(self) -> None:
        self.open: list[_Open] = []
        self.lines: list[TextLine] = []

    def unchanged(self, seconds: float) -> None:
        """A sample whose text regions did not change: every open line is still there."""
        for line in self.open:
            line.last = seconds

    def matching(self, box: Box, picture: BGR) -> _Open | None:
        """The open line standing in ``box`` with the same ink in ``picture`` (no need to read it again)."""
        for line in self.open:
            if _overlap(line.reading.box, box) >= 0.85:
                ink = signature_of(picture, line.reading.box)
                if _signature_distance(line.signature, ink) < SAME_INK:
                    return line
        return None

    def seen(
        self,
        seconds: float,
        found: list[tuple[Reading, npt.NDArray[np.float32]]],
        kept: list[_Open],
        when: float | None = None,
        began: list[float] | None = None,
    ) -> None:
        """The lines of one read sample at ``seconds``: ``found`` newly read, ``kept`` open lines seen
        again unread. Lines that end here do so at ``when`` (the frame the text changed; default the
        sample's time), and lines that begin here at ``when`` too, or at ``began`` (one time for each of
        ``found``: a line already there in an earlier sample that was not detected)."""
        when = seconds if when is None else when
        still: list[_Open] = list(kept)
        for line in kept:
            line.last = seconds
        for k, (reading, signature) in enumerate(found):
            match = next(
                (
                    o
                    for o in self.open
                    if o not in still
                    and _overlap(o.reading.box, reading.box) >= 0.5
                    and similarity(o.reading.text, reading.text) >= SAME_TEXT
                ),
                None,
            )
            if match is None:
                match = _Open(reading, began[k] if began else when, seconds, signature)
            else:
                match.last, match.signature = seconds, signature
            match.vote(reading)
            still.append(match)
        for line in self.open:
            if line not in still:
                self._close(line, when)
        self.open = still

    def stands(self, picture: BGR) -> bool:
        """Whether every open line is still there in ``picture``, with the same ink."""
        return all(
            _signature_distance(line.signature, signature_of(picture, line.reading.box)) < SAME_INK
            for line in self.open
        )

    def finish(self, end: float) -> list[TextLine]:
        for line in self.open:
            self._close(line, max(end, line.last))
        self.open = []
        return sorted(self.lines, key=lambda line: (line.start, line.box[1], line.box[0]))

    def _close(self, line: _Open, end: float) -> None:
        r = line.reading
        self.lines.append(TextLine(line.first, end, r.text, region_of(r.box), r.score, r.box))


def signature_of(picture: BGR, box: Box) -> npt.NDArray[np.float32]:
    """The line's ink, small (96 x 16): the share of each cell that is ink, ink being the brightest
    pixels (above Otsu's threshold and within 50 of the brightest). Two readings of a still line have
    the same, whatever moves behind letters that stand on no band of their own."""
    h, w = picture.shape[:2]
    x0, y0 = max(0, int(box[0] * w)), max(0, int(box[1] * h))
    x1, y1 = min(w, max(x0 + 1, int(box[2] * w))), min(h, max(y0 + 1, int(box[3] * h)))
    gray = cv2.cvtColor(picture[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink = (gray >= max(otsu, int(gray.max()) - 50)).astype(np.float32)
    return np.asarray(cv2.resize(ink, (96, 16), interpolation=cv2.INTER_AREA), np.float32)


def _signature_distance(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    """The share of the line's pixels whose ink differs."""
    return float(np.mean(np.abs(a - b)))


class TextReader:
    """PP-OCR detection and recognition on one thread (the render's encoders keep the other cores busy)."""

    _lock = threading.Lock()

    def __init__(self, threads: int = 1) -> None:
        with self._lock:  # the import reads model files; one at a time
            from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]

            engine: Any = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, use_cls=False)
        detector = engine.text_det
        detector.limit_type, detector.limit_side_len = "min", 1  # the picture is sized by us: no upscaling
        self.engine = engine

    def detect(self, picture: BGR) -> list[npt.NDArray[np.float32]]:
        """Quadrilaterals of text lines in ``picture`` (DETECT_WIDTH wide), in its pixels."""
        boxes, _ = self.engine.text_det(picture)
        return [] if boxes is None else [np.asarray(b, np.float32) for b in boxes]

    def recognise(self, picture: BGR, quads: list[npt.NDArray[np.float32]]) -> list[tuple[str, float]]:
        """The text of each quadrilateral (in ``picture``'s pixels)."""
        if not quads:
            return []
        crops = self.engine.get_crop_img_list(picture, np.asarray(quads, np.float32))
        results, _ = self.engine.text_rec(crops)
        return [(clean(str(text)), float(score)) for text, score in results]


def quad_box(quad: npt.NDArray[np.float32], width: int, height: int) -> Box:
    xs, ys = quad[:, 0], quad[:, 1]
    return (
        max(0.0, float(xs.min()) / width),
        max(0.0, float(ys.min()) / height),
        min(1.0, float(xs.max()) / width),
        min(1.0, float(ys.max()) / height),
    )
