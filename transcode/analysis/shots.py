"""Shot boundaries: hard cuts to the frame, and gradual transitions (dissolves, fades) as ranges.

Each picture is reduced to a 40-pixel-wide luma thumbnail and a 32-bin luma histogram. The
distance between two pictures mixes their mean pixel difference with their histogram difference.

* A **hard cut** at frame *n* is a distance from *n-1* to *n* that is large in itself, several
  times the distances around it (so steady fast motion is not a cut), and that stays large when
  *n-1* is compared with the next few pictures (so a flash, after which the picture comes back,
  is not a cut). Between two alike pictures (the same tones) the distance is smaller: there a
  change that no shift of the old picture explains (a jolt of the camera is one) is a cut too.
* **Fades** are found from runs of flat pictures (black or a colour): the fade out before a run
  and the fade in after it are where detail and the level's distance from the flat one shrink in
  even steps towards it (:func:`~transcode.analysis.transitions.fade_from`). A fade through
  black is a fade out followed by a fade in. Where every picture is flat (a field ramping from
  black to white and back), nothing is found.
* **Dissolves** are found with windows of three lengths ending at each picture: the pictures at
  both ends differ a lot, and the picture in the middle is close to the average of the two ends
  (a dissolve is a weighted average of its two shots; motion, cuts and flashes are not). Between
  moving cameras (the middle picture is then no average of the ends) they are found from the
  edge energy and the variance of each picture, which motion hardly changes: a mix of two
  unrelated pictures dips to (1-a)^2 E_A + a^2 E_B of their detail (see
  :func:`~transcode.analysis.transitions.mixes`). Candidates across a cut, a fade or flat
  pictures are dropped; those that touch are merged. A dissolve's range is then fitted on the
  means of twelve blocks of the picture, which a dissolve moves linearly from one shot to the
  other (:func:`~transcode.analysis.transitions.knees`): the windows over a moving camera take
  some motion around a dissolve for the mix, so their range is only where to look.
* A candidate that falls to a small share of its ends' detail without a flat picture (a fade out
  straight into a fade in) is **labelled** as the fades it is made of; the others are dissolves.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from transcode.analysis.detector import Detector, Gray, Segment, register
from transcode.analysis.transitions import aligned, fade_from, knees, mixes

__all__ = ["ShotDetector"]

Small = npt.NDArray[np.float32]

_THUMB_WIDTH = 40
_BINS = 32
_FLAT = 3.0
"""Spread (standard deviation of the thumbnail's luma, 0-255) under which a picture is flat."""
_FLAT_SHARE = 0.25
"""A fade out straight into a fade in has, at its darkest, under this share of the detail of both ends."""
_FADE_GROWTH = 0.02
"""Detail grows by at least this share per picture during a fade (1/n of the whole for an n-picture fade)."""
_FADE_RISE = 8.0
"""A fade brings or takes away at least this much spread."""
_COARSE = (16, 9)
_ALIGNED, _LEFT, _NEW, _SURE_CUT = 0.9, 0.5, 0.5, 0.3
"""A change under ``_SURE_CUT`` that a shift of the old picture explains (:func:`aligned`: at least
this correlation, at most this share of the difference left) is a jolt of the camera (no cut); one
under ``_NEW`` correlation once shifted is new pictures (a cut, even between alike pictures under
the cut threshold). Jolts of the news set: 0.98 or more and 0.18 or less; a cut between alike
pictures 0.14; a cut between two smooth gradients 0.77; the end of a freeze (a test picture's
parts moved on) 0.83."""


@dataclass(frozen=True)
class _Picture:
    index: int
    small: Small
    hist: npt.NDArray[np.float32]
    mean: float
    spread: float


def _picture(gray: Gray, index: int) -> _Picture:
    h, w = gray.shape
    step = max(1, w // _THUMB_WIDTH)
    rows, cols = h // step, w // step
    block = np.asarray(gray[: rows * step, : cols * step], np.float32)
    small = np.asarray(cv2.resize(block, (cols, rows), interpolation=cv2.INTER_AREA), np.float32)  # block means
    hist = np.bincount((gray >> 3).ravel(), minlength=_BINS).astype(np.float32)
    hist /= max(1.0, float(hist.sum()))
    return _Picture(index, small, hist, float(small.mean()), float(small.std()))


def _edge_energy(gray: Gray) -> float:
    """Mean squared difference between neighbouring pixels: the picture's detail, whatever moves."""
    picture = np.asarray(gray, np.float32)
    return float(np.square(np.diff(picture, axis=1)).mean() + np.square(np.diff(picture, axis=0)).mean())


def _distance(a: _Picture, b: _Picture) -> float:
    """0 for the same picture, about 1 for unrelated ones."""
    if a.small.shape != b.small.shape:  # the stream changed its picture size: a new shot
        return 1.0
    pixels = float(np.abs(a.small - b.small).mean()) / 255.0
    moved = float(np.abs(np.cumsum(a.hist - b.hist)).sum()) / _BINS  # earth mover's distance, 0..1
    return 0.5 * (min(1.0, 3.0 * pixels) + min(1.0, 4.0 * moved))


@register
class ShotDetector(Detector):
    """Hard cuts and gradual transitions; see the module docstring for how."""

    name = "shots"

    def __init__(
        self,
        *,
        cut_threshold: float = 0.12,
        alike_threshold: float = 0.06,
        cut_ratio: float = 2.5,
        flash_ratio: float = 0.5,
        gradual_threshold: float = 0.22,
        linearity: float = 0.22,
        window_seconds: tuple[float, ...] = (0.4, 0.8, 1.6),
    ) -> None:
        self.cut_threshold, self.cut_ratio, self.flash_ratio = cut_threshold, cut_ratio, flash_ratio
        self.alike_threshold = alike_threshold
        self.gradual_threshold, self.linearity = gradual_threshold, linearity
        self.window_seconds = window_seconds
        self.start(25.0)

    def start(self, rate: float) -> None:
        self.rate = rate if rate > 0 else 25.0
        self.windows = sorted({max(4, round(self.rate * s)) for s in self.window_seconds})
        self.lookahead = 3
        self.recent: deque[_Picture] = deque(maxlen=max(self.windows) + self.lookahead + 2)
        self.times: list[float] = []
        self.means: list[float] = []
        self.spreads: list[float] = []
        self.energies: list[float] = []
        self.coarse: list[bytes] = []
        self.scores: list[float] = [0.0]
        self.bridges: dict[int, float] = {}
        self.grays: deque[Gray] = deque(maxlen=self.lookahead + 2)
        self.unaligned: set[int] = set()
        self.jolts: set[int] = set()
        self.candidates: list[tuple[int, int]] = []

    @property
    def change(self) -> float:
        """How much the latest picture differs from the one before (0 the same, about 1 unrelated)."""
        return self.scores[-1] if self.recent else 0.0

    def _at(self, index: int) -> _Picture:
        return self.recent[index - self.recent[-1].index - 1]

    def process(self, gray: Gray, index: int, seconds: float) -> None:
        picture = _picture(gray, len(self.times))
        n = picture.index
        if self.recent:
            self.scores.append(_distance(self.recent[-1], picture))
        self.recent.append(picture)
        self.times.append(seconds)
        self.means.append(picture.mean)
        self.spreads.append(picture.spread)
        self.energies.append(_edge_energy(gray))
        self.coarse.append(cv2.resize(gray, _COARSE, interpolation=cv2.INTER_AREA).tobytes())
        self.grays.append(gray)
        m = n - self.lookahead
        near = m >= 1 and self.alike_threshold <= self.scores[m] < _SURE_CUT and len(self.grays) > self.lookahead + 1
        if near and min(self.spreads[m - 1], self.spreads[m]) > _FLAT:  # a jolt of the camera, or new pictures?
            correlation, left = aligned(self.grays[0], self.grays[1])
            if correlation >= _ALIGNED and left <= _LEFT:
                self.jolts.add(m)
            elif correlation < _NEW:  # unrelated pictures (a scene whose parts moved still correlates)
                self.unaligned.add(m)
        if m >= 1 and (self.scores[m] >= self.cut_threshold or m in self.unaligned):
            before, at = self._at(m - 1), self._at(m)
            ahead = min(_distance(before, self._at(k)) for k in range(m + 1, n + 1))
            earlier = range(max(0, m - 4, n - len(self.recent) + 1), m - 1)  # empty for a change at frame 1
            back = min((_distance(self._at(k), at) for k in earlier), default=ahead)
            self.bridges[m] = min(ahead, back)
        for window in self.windows:
            if n - window >= 0:
                self._gradual(n - window, n)

    def _gradual(self, a: int, b: int) -> None:
        first, last = self._at(a), self._at(b)
        if _distance(first, last) < self.gradual_threshold:
            return
        span = last.small - first.small
        spread = float(np.abs(span).mean())
        if spread < 1.0:
            return
        middle = self._at((a + b) // 2).small
        if float(np.abs(middle - (first.small + last.small) / 2).mean()) / spread > self.linearity:
            return
        norm = float((span * span).sum())
        offsets = np.stack([self._at(k).small for k in range(a, b + 1)]) - first.small
        alphas = (offsets * span).sum(axis=(1, 2)) / norm
        off_line = np.abs(offsets - alphas[:, None, None] * span).mean(axis=(1, 2)) / spread
        if float(off_line.max()) > 2 * self.linearity:  # a flash or a cut inside: not one mix of two pictures
            return
        moving = [k for k, alpha in zip(range(a, b + 1), alphas.tolist(), strict=True) if 0.06 < alpha < 0.94]
        if len(moving) >= 2:
            self.candidates.append((moving[0], moving[-1]))

    def finish(self) -> list[Segment]:
        cuts = self._cuts()
        fades = self._fades()
        busy = [(s, e) for _, s, e in fades] + self._flat_runs(0, len(self.spreads) - 1)
        coarse = np.frombuffer(b"".join(self.coarse), np.uint8).reshape(len(self.coarse), -1).astype(np.float32)
        energy, spreads = np.asarray(self.energies, np.float64), np.asarray(self.spreads, np.float64)
        self.candidates += mixes(energy, spreads, coarse, max(self.windows), _FLAT)
        self.candidates += mixes(spreads * spreads, spreads, coarse, max(self.windows), _FLAT, also=energy)
        parts = list(fades)
        for s, e in self._graduals(cuts, busy):
            if not self._featureless(s, e):
                parts += self._label(s, e)
        blocks = coarse.reshape(len(coarse), 3, 3, 4, 4).mean(axis=(2, 4)).reshape(len(coarse), -1)
        parts = [self._dissolve(p, parts, cuts, busy, blocks) if p[0] == "dissolve" else p for p in parts]
        cuts = [c for c in cuts if not any(s - 1 <= c <= e + 1 for _, s, e in parts)]
        found = [self._segment("cut", c, c) for c in cuts]
        found += [self._segment(kind, first, last) for kind, first, last in parts]
        return sorted(found, key=lambda seg: seg.first)

    def _dissolve(
        self,
        part: tuple[str, int, int],
        parts: list[tuple[str, int, int]],
        cuts: list[int],
        busy: list[tuple[int, int]],
        blocks: npt.NDArray[np.float32],
    ) -> tuple[str, int, int]:
        """A dissolve with its range fitted on the block means (:func:`knees`), between the cuts and
        other transitions around it. Every window that spans a dissolve finds it, and a long one over
        a moving camera also takes the motion around it for part of the mix, so the candidates'
        range is only where to look."""
        kind, s, e = part
        reach, pad = max(3, round(0.32 * self.rate)), max(3, round(0.24 * self.rate))
        lo, hi = max(0, s - 1 - reach - pad), min(len(blocks) - 1, e + 1 + reach + pad)
        others = [(other[1], other[2]) for other in parts if other != part] + busy + [(c, c) for c in cuts]
        for first, last in others:
            if last < s:
                lo = max(lo, last + 1)
            elif first > e:
                hi = min(hi, first - 1)
        first, last = knees(blocks.astype(np.float64), lo, hi, s, e, reach)
        return kind, first, last

    def _featureless(self, s: int, e: int) -> bool:
        """Whether every picture of ``s..e`` and its neighbours is flat: a field that only changes its
        level or colour (a ramp from black to white and back) brings no new shot."""
        a, b = max(0, s - 1), min(len(self.spreads) - 1, e + 1)
        return max(self.spreads[a : b + 1]) <= _FLAT

    def _walk(self, edge: int, step: int, stop: int) -> int:
        """From a flat picture at ``edge``, how far (towards ``stop``) detail keeps growing."""
        spreads, far = self.spreads, edge
        while far != stop and spreads[far + step] > spreads[far] * (1 + _FADE_GROWTH) + 0.05:
            far += step
        return far

    def _flat_runs(self, first: int, last: int) -> list[tuple[int, int]]:
        """Runs of flat pictures (black or one colour) among ``first..last``."""
        runs: list[tuple[int, int]] = []
        for k in range(first, last + 1):
            if self.spreads[k] <= _FLAT:
                if runs and runs[-1][1] == k - 1:
                    runs[-1] = (runs[-1][0], k)
                else:
                    runs.append((k, k))
        return runs

    def _fades(self) -> list[tuple[str, int, int]]:
        """Fades anchored on flat pictures, whatever moves in the shot being faded: from each run of
        flat pictures, the fade out before it and the fade in after it (:func:`fade_from`)."""
        found: list[tuple[str, int, int]] = []
        end = len(self.spreads) - 1
        spreads, means = np.asarray(self.spreads), np.asarray(self.means)
        for first, last in self._flat_runs(0, end):
            # A fade mixes its shot with the flat picture: detail and the distance of the mean level
            # from the flat one shrink together, and their sum moves in larger, steadier steps.
            # The flat picture is the least detailed of the run's first (last) few: a long fade's last
            # (first) pictures are flat by the threshold but still on their way.
            near_out = first + int(np.argmin(spreads[first : min(last, first + 8) + 1]))
            tail = spreads[max(first, last - 8) : last + 1]
            near_in = last - int(np.argmin(tail[::-1]))
            out = fade_from((spreads + np.abs(means - means[near_out])).tolist(), first, -1, 0, _FADE_RISE)
            into = fade_from((spreads + np.abs(means - means[near_in])).tolist(), last, 1, end, _FADE_RISE)
            found += [("fade_out", *out)] if out else []
            found += [("fade_in", *into)] if into else []
        return found

    def _label(self, s: int, e: int) -> list[tuple[str, int, int]]:
        """A gradual transition ``s..e`` as a dissolve, or as the fades out and in it is made of.

        It holds fades if it passes through flat pictures, or (a fade out straight into a fade in)
        if detail falls inside it to a small share of what both ends have. Before the first flat
        pictures is a fade out, after the last a fade in; between two flat runs, what grows from
        each of them."""
        a, b = max(0, s - 1), min(len(self.spreads) - 1, e + 1)
        runs = self._flat_runs(a, b)
        if not runs:
            spreads = self.spreads[a : b + 1]
            m = a + spreads.index(min(spreads))
            if not (a < m < b and spreads[m - a] < _FLAT_SHARE * min(spreads[0], spreads[-1])):
                return [("dissolve", s, e)]
            runs = [(m, m)]
        parts = []
        for number, (first, last) in enumerate(runs):
            begin = s if number == 0 else self._walk(first, -1, runs[number - 1][1])
            if begin < first - (2 if number else 0):
                parts.append(("fade_out", begin, first - 1))
            end = e if number == len(runs) - 1 else self._walk(last, 1, runs[number + 1][0])
            if end > last + (2 if number < len(runs) - 1 else 0):
                parts.append(("fade_in", last + 1, end))
        return parts or [("dissolve", s, e)]

    def _segment(self, kind: str, first: int, last: int) -> Segment:
        end = self.times[last + 1] if last + 1 < len(self.times) else self.times[last] + 1.0 / self.rate
        return Segment(kind, first, last, self.times[first], end)

    def _cuts(self) -> list[int]:
        scores, found = self.scores, list[int]()
        for n in range(1, len(scores)):
            score = scores[n]
            if (score < self.cut_threshold and n not in self.unaligned) or n in self.jolts:
                continue
            around = [scores[k] for k in (n - 2, n - 1, n + 1, n + 2) if 1 <= k < len(scores)]
            if around and score < self.cut_ratio * (sum(around) / len(around)) + 0.02:
                continue
            if self.bridges.get(n, score) < self.flash_ratio * score:
                continue
            if found and n - found[-1] < 3:
                if score > scores[found[-1]]:
                    found[-1] = n
                continue
            found.append(n)
        return found

    def _graduals(self, cuts: list[int], busy: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The candidates' ranges merged, without those across a cut, a fade or flat pictures."""
        clipped = []
        for s, e in sorted(self.candidates):
            if any(s <= c <= e for c in cuts):
                continue
            if not any(first <= e and s <= last for first, last in busy):
                clipped.append((s, e))
        merged: list[list[int]] = []
        for s, e in clipped:
            if e - s < 2:
                continue
            # candidates that touch are one transition; a few pictures apart, only if they make a fade
            # out straight into a fade in (each half alone has no dark middle to be told by)
            near = bool(merged) and s <= merged[-1][1] + 4
            if near and (s <= merged[-1][1] + 1 or "dissolve" not in {k for k, _, _ in self._label(merged[-1][0], e)}):
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        return [(s, e) for s, e in merged]
