"""Shot boundaries: hard cuts to the frame, and gradual transitions (dissolves, fades) as ranges.

Each picture is reduced to a 40-pixel-wide luma thumbnail and a 32-bin luma histogram. The
distance between two pictures mixes their mean pixel difference with their histogram difference.

* A **hard cut** at frame *n* is a distance from *n-1* to *n* that is large in itself, several
  times the distances around it (so steady fast motion is not a cut), and that stays large when
  *n-1* is compared with the next few pictures (so a flash, after which the picture comes back,
  is not a cut).
* A **gradual transition** is found with windows of three lengths ending at each picture: the
  pictures at both ends differ a lot, and the picture in the middle is close to the average of
  the two ends (a dissolve is a weighted average of its two shots; motion, cuts and flashes are
  not). Where a window fits, each picture's position along the line from the first picture to
  the last locates the transition's first and last frame. Windows that agree are merged, and a
  fade out, a short flat picture (black or a colour) and a fade in are taken together. A
  dissolve's range is where at least half as many windows hold it as hold its most agreed
  picture: long windows over a moving camera take some of the motion around it for the mix.
  Where every picture is flat (a field ramping from black to white and back), nothing is found.
* A **dissolve between moving cameras** (the middle picture is then no average of the ends) is
  also found from the edge energy of each picture, which motion hardly changes: a mix of two
  unrelated pictures dips to (1-a)^2 E_A + a^2 E_B of their detail (see ``_mixes``).
* A gradual transition is then **labelled** by the detail in its pictures (the spread of the
  thumbnail's luma): a dissolve mixes two pictures with content, so detail never vanishes; a fade
  passes through a flat picture. The pictures before the flat ones are a ``fade_out``, those after
  them a ``fade_in``, so a fade through black is a fade out followed by a fade in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from transcode.analysis.detector import Detector, Gray, Segment, register

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
_MIX_RHO, _MIX_RHO_LOW, _MIX_RESIDUAL = 0.15, -0.6, 0.2
"""A dissolve's fitted correlation of its two pictures' detail (0 unrelated, 1 one shot), its lowest
(detail falling further, towards a flat picture, is a fade), and its largest residual."""
_MIX_STRAIGHT = 0.25
"""A dissolve goes from one picture to the other about straight: the distance between its ends (on
16x9 thumbnails) is at least this share of the distance walked picture by picture. A fast pan over
detail that thins out and comes back walks far and ends near where it began."""
_COARSE = (16, 9)
_MIX_BOUND, _MIX_STEADY = 5, 0.6
"""The energy of the pictures ``_MIX_BOUND`` before and after a dissolve moves less than
``_MIX_STEADY`` times what it moves over as many pictures inside it."""


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


def _mix_fit(energy: npt.NDArray[np.float64], length: int) -> tuple[npt.NDArray[np.float64], ...]:
    """For every picture ``p`` with ``length`` pictures after it and one more (``q``): the correlation
    rho that fits the energy between them as a mix of ``p`` and ``q`` (see :meth:`ShotDetector._mixes`),
    by least squares, from sums that one correlation of the energy curve with the cross term gives."""
    alpha = np.arange(1, length + 1) / (length + 1)
    cross = 2 * alpha * (1 - alpha)
    ep, eq = energy[: -length - 1], energy[length + 1 :]
    along = np.correlate(energy[1:-1], cross, mode="valid")  # sum of E_k times the cross term
    fitted = along - ep * float(((1 - alpha) ** 2 * cross).sum()) - eq * float((alpha**2 * cross).sum())
    rho: npt.NDArray[np.float64] = fitted / np.maximum(np.sqrt(ep * eq) * float((cross * cross).sum()), 1e-9)
    return rho, alpha, cross


def _mix_residual(energy: npt.NDArray[np.float64], p: int, q: int, rho: float) -> float:
    """The mean distance of the energy between ``p`` and ``q`` from its fit, as a share of the cross term."""
    alpha = np.arange(1, q - p) / (q - p)
    cross = 2 * alpha * (1 - alpha) * np.sqrt(energy[p] * energy[q])
    base = (1 - alpha) ** 2 * energy[p] + alpha**2 * energy[q]
    return float(np.abs(energy[p + 1 : q] - base - rho * cross).mean() / max(float(cross.mean()), 1e-9))


@register
class ShotDetector(Detector):
    """Hard cuts and gradual transitions; see the module docstring for how."""

    name = "shots"

    def __init__(
        self,
        *,
        cut_threshold: float = 0.12,
        cut_ratio: float = 2.5,
        flash_ratio: float = 0.5,
        gradual_threshold: float = 0.22,
        linearity: float = 0.22,
        window_seconds: tuple[float, ...] = (0.4, 0.8, 1.6),
    ) -> None:
        self.cut_threshold, self.cut_ratio, self.flash_ratio = cut_threshold, cut_ratio, flash_ratio
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
        m = n - self.lookahead
        if m >= 1 and self.scores[m] >= self.cut_threshold:
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
        self.candidates += self._fades() + self._mixes()
        cuts = self._cuts()
        graduals = [g for g in self._graduals(cuts) if not self._featureless(*g)]
        cuts = [c for c in cuts if not any(s - 1 <= c <= e + 1 for s, e in graduals)]
        found = [self._segment("cut", c, c) for c in cuts]
        for s, e in graduals:
            found += [self._segment(kind, first, last) for kind, first, last in self._label(s, e)]
        return sorted(found, key=lambda seg: seg.first)

    def _mixes(self) -> list[tuple[int, int]]:
        """Dissolves found from the edge energy alone, which camera motion hardly changes.

        The mix of two unrelated pictures A and B has the edge energy (1-a)^2 E_A + a^2 E_B + 2a(1-a)
        rho sqrt(E_A E_B), with rho about 0 (pictures of one shot give rho about 1). For each range of
        4 to the longest window's pictures between a picture ``p`` and ``q``, rho is fitted with ``a``
        growing evenly; a dissolve fits with a small rho and a small residual, and the energy hardly
        moves for a few pictures before ``p`` and after ``q`` (a camera slowly panning into a
        featureless sky keeps losing detail), and the pictures go from ``p`` to ``q`` about straight
        (a fast pan walks far). Overlapping ranges keep the best fit."""
        energy = np.asarray(self.energies, np.float64)
        spreads = np.asarray(self.spreads)
        fits: list[tuple[float, int, int]] = []
        h = _MIX_BOUND
        coarse = np.frombuffer(b"".join(self.coarse), np.uint8).reshape(len(self.coarse), -1).astype(np.float32)
        walked = np.concatenate(([0.0], np.cumsum(np.abs(np.diff(coarse, axis=0)).mean(axis=1))))
        for length in range(4, max(self.windows) + 1):
            if len(energy) < length + 2:
                break
            rho = _mix_fit(energy, length)[0]
            ps = np.arange(len(rho))
            qs, k = ps + length + 1, min(h, length)
            before = np.abs(energy[ps] - energy[np.maximum(0, ps - h)])
            after = np.abs(energy[np.minimum(len(energy) - 1, qs + h)] - energy[qs])
            steady = (before <= _MIX_STEADY * np.abs(energy[ps] - energy[ps + k])) & (
                after <= _MIX_STEADY * np.abs(energy[qs] - energy[qs - k])
            )
            ends = np.minimum(energy[ps], energy[qs]) >= 1
            for p in np.flatnonzero((rho >= _MIX_RHO_LOW) & (rho <= _MIX_RHO) & steady & ends).tolist():
                q = p + length + 1
                if min(spreads[p : q + 1]) <= _FLAT:
                    continue  # passes through a flat picture: a fade, found from its flat pictures
                residual = _mix_residual(energy, p, q, float(rho[p]))
                if residual > _MIX_RESIDUAL:
                    continue
                straight = float(np.abs(coarse[q] - coarse[p]).mean())
                if straight < _MIX_STRAIGHT * (walked[q] - walked[p]):
                    continue
                fits.append((float(rho[p]) + residual, p + 1, q - 1))
        kept: list[tuple[int, int]] = []
        for _, first, last in sorted(fits):
            if all(last < s or e < first for s, e in kept):
                kept.append((first, last))
        return sorted(kept)

    def _agreed(self, s: int, e: int) -> tuple[int, int]:
        """The frames of a dissolve ``s..e`` that at least half as many candidates hold as hold its
        most agreed frame. Every window that spans a transition finds it, but a long one
        over a moving camera also takes the motion before and after it for part of the mix: the
        union of the windows' ranges is longer than the transition (a 7-frame dissolve read as 24)."""
        if self._label(s, e) != [("dissolve", s, e)]:
            return s, e  # fades: their ranges are walked from the flat or darkest pictures
        votes = np.zeros(e - s + 1)
        for first, last in self.candidates:
            if first >= s and last <= e:
                votes[first - s : last - s + 1] += 1
        held = np.flatnonzero(votes >= 0.5 * votes.max())
        if not held.size or held[-1] - held[0] < 2:
            return s, e
        return s + int(held[0]), s + int(held[-1])

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

    def _fades(self) -> list[tuple[int, int]]:
        """Fades anchored on flat pictures, whatever moves in the shot being faded.

        From each run of flat pictures, walk back while detail keeps falling towards it (a fade
        out) and on while detail keeps rising from it (a fade in); a rise in one step (a cut from
        black) or too little detail at the far end is no fade."""
        found = list[tuple[int, int]]()
        for first, last in self._flat_runs(0, len(self.spreads) - 1):
            for edge, step, stop in ((first, -1, 0), (last, 1, len(self.spreads) - 1)):
                far = self._walk(edge, step, stop)
                rise = self.spreads[far] - self.spreads[edge]
                jumps = [abs(self.spreads[j + step] - self.spreads[j]) for j in range(edge, far, step)]
                if abs(far - edge) >= 3 and rise >= _FADE_RISE and max(jumps) <= 0.5 * rise:
                    found.append((far, edge - 1) if step < 0 else (edge + 1, far))
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
            if score < self.cut_threshold:
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

    def _graduals(self, cuts: list[int]) -> list[tuple[int, int]]:
        merged: list[list[int]] = []
        for s, e in sorted(self.candidates):
            if merged and s <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        kept = [(s, e) for s, e in merged if e - s >= 2 and not any(s <= c <= e for c in cuts)]
        joined: list[tuple[int, int]] = []
        gap = round(0.4 * self.rate)
        for s, e in kept:
            through_flat = bool(joined) and all(spread <= _FLAT for spread in self.spreads[joined[-1][1] + 1 : s])
            if joined and (s - joined[-1][1] <= 4 or (s - joined[-1][1] <= gap and through_flat)):
                joined[-1] = (joined[-1][0], e)
            else:
                joined.append((s, e))
        return [self._agreed(s, e) for s, e in joined]
