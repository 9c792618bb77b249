"""The ranges of gradual transitions, from per-picture measures the shot detector keeps.

* A **cut between alike pictures** (the same tones, so a small distance) is told from a jolt of the
  camera by :func:`aligned`: no shift brings the new picture onto the old one.
* **Fades** are anchored on flat pictures (black or one colour). In a fade a picture is its shot
  mixed with the flat one, so its detail (the spread of its luma) falls in even steps towards the
  flat pictures. :func:`fade_from` walks away from a flat run while the steps stay at least a share
  of the fade's typical step: a shot whose light dims, or a dissolve just before the fade, changes
  its detail by less (or the other way), and the walk stops at the last picture of full detail.
* **Dissolves between moving cameras** are found from the edge energy, which motion hardly
  changes (:func:`mixes`): the mix of two unrelated pictures has (1-a)^2 E_A + a^2 E_B of their
  detail.
* A dissolve's **range** is then fitted on the means of a few large blocks of the picture, which
  motion changes slowly and a dissolve moves linearly from one shot's values to the other's:
  :func:`knees` fits three straight pieces, joined where the dissolve begins and ends.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["aligned", "fade_from", "knees", "mixes"]

Floats = npt.NDArray[np.float64]

_FADE_STEP_SHARE = 0.5
"""A fade goes on while detail changes by at least this share of the fade's median step."""
_MIX_RHO, _MIX_RHO_LOW, _MIX_RESIDUAL = 0.15, -0.6, 0.2
"""A dissolve's fitted correlation of its two pictures' detail (0 unrelated, 1 one shot), its lowest
(detail falling further, towards a flat picture, is a fade), and its largest residual."""
_MIX_STRAIGHT = 0.25
"""A dissolve goes from one picture to the other about straight: the distance between its ends (on
16x9 thumbnails) is at least this share of the distance walked picture by picture. A fast pan over
detail that thins out and comes back walks far and ends near where it began."""
_MIX_ALSO_RHO = 0.95
"""A range found from the variance is no dissolve if the edge energy there fits the mix of two pictures
of one shot (rho about 1): then only the camera or the light changed the variance."""
_MIX_APART = 16.0
"""The pictures at a dissolve's two ends differ by at least this much (mean absolute difference of
the 16x9 thumbnails, 0-255): a change of focus moves the edge energy as a mix does, but leaves the
picture where it was."""
_MIX_BOUND, _MIX_STEADY = 5, 0.6
"""The energy of the pictures ``_MIX_BOUND`` before and after a dissolve moves less than
``_MIX_STEADY`` times what it moves over as many pictures inside it."""


def aligned(before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8]) -> tuple[float, float]:
    """How well ``before``, shifted onto ``after`` (phase correlation), explains it: their correlation
    (about 1 for one shot however the camera jolts) and the share of their difference left once
    shifted (small for a jolt; about 1 for new pictures, even when smooth gradients in both
    correlate). Level and contrast do not count (a fade step is fully explained)."""
    a, b = np.asarray(before, np.float32), np.asarray(after, np.float32)
    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    h, w = a.shape
    shift = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    shifted = np.asarray(cv2.warpAffine(a, shift, (w, h)), np.float32)
    mx, my = min(w // 3, int(abs(dx)) + 2), min(h // 3, int(abs(dy)) + 2)
    x, y, z = (
        (v - v.mean()) / max(1e-6, float(v.std()))
        for v in (shifted[my : h - my, mx : w - mx], b[my : h - my, mx : w - mx], a[my : h - my, mx : w - mx])
    )
    correlation = float((x * y).mean())
    left = float(np.abs(x - y).mean()) / max(1e-6, float(np.abs(z - y).mean()))
    return correlation, left


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def fade_from(spreads: Sequence[float], edge: int, step: int, stop: int, rise: float) -> tuple[int, int] | None:
    """The fade next to the flat picture ``edge`` (``step`` -1: the fade out before it, +1: the fade
    in after it), not past ``stop``, as (first, last) frames; None if detail does not grow away from
    the flat pictures in even steps, by ``rise`` at least.

    Walking away from the flat picture, each step must grow detail by at least a share of the
    median step so far (or, with the next step, twice that share); the last picture walked is the
    first of full detail (its shot's own), so the fade ends one before it. Towards the flat run,
    pictures whose detail still falls by a fade's step (flat by the threshold, but not yet the flat
    picture) belong to the fade too."""
    steps: list[float] = []
    far = edge
    while far != stop:
        grown = spreads[far + step] - spreads[far]
        if grown <= 0.05:
            break
        if len(steps) >= 2 and grown < _FADE_STEP_SHARE * (typical := _median(steps)):
            # one small step (a jolt of the camera) is forgiven if the next one makes up for it
            beyond = far + 2 * step
            after = spreads[beyond] - spreads[far + step] if far + step != stop and 0 <= beyond < len(spreads) else 0.0
            if not (grown + after >= 2 * _FADE_STEP_SHARE * typical and after <= 3 * typical):
                break
        steps.append(grown)
        far += step
    if len(steps) < 3 or sum(steps) < rise or max(steps) > 0.5 * sum(steps):  # too short, or a cut from black
        return None
    typical = _median(steps)
    near = edge + step  # the picture next to the flat run
    while 0 <= near - step < len(spreads):
        k = near - step  # one more picture into the flat run
        if spreads[k] < _FADE_STEP_SHARE * typical or spreads[near] - spreads[k] < _FADE_STEP_SHARE * typical:
            break
        near = k
    first, last = sorted((far - step, near))
    return first, last


def knees(blocks: Floats, lo: int, hi: int, first: int, last: int, reach: int) -> tuple[int, int]:
    """The first and last mixed picture of a dissolve near ``first..last``, between pictures ``lo``
    and ``hi`` (where other transitions or cuts begin).

    ``blocks`` holds a few block means per picture. Before the dissolve they follow the outgoing
    shot, after it the incoming one, and in between they move linearly from one to the other: three
    straight pieces, joined at the last picture of the outgoing shot ``p`` and the first of the
    incoming one ``q`` (motion bends the pieces a little; a dissolve bends them at its ends). Every
    ``p`` within ``reach`` of ``first - 1`` and ``q`` within ``reach`` of ``last + 1`` is tried; the
    pair with the least squared error over ``lo..hi`` wins."""
    rows = np.arange(lo, hi + 1, dtype=np.float64)
    values = blocks[lo : hi + 1]
    if len(rows) < 6:
        return first, last
    centred = values - values.mean(axis=0)
    total = float((centred * centred).sum())
    pairs = [
        (p, q)
        for p in range(max(lo, first - 1 - reach), min(hi, first - 1 + reach) + 1)
        for q in range(max(p + 3, last + 1 - reach), min(hi, last + 1 + reach) + 1)
    ]
    if not pairs:
        return first, last
    ps, qs = (np.asarray(side, np.float64)[:, None] for side in zip(*pairs, strict=True))
    line = np.broadcast_to(rows - rows.mean(), (len(pairs), len(rows)))
    basis = np.stack([line, np.maximum(0.0, rows - ps), np.maximum(0.0, rows - qs)], axis=2)
    basis -= basis.mean(axis=1, keepdims=True)
    coef = np.linalg.pinv(basis) @ centred  # least squares for every pair at once
    errors = total - (coef * (basis.transpose(0, 2, 1) @ centred)).sum(axis=(1, 2))
    p, q = pairs[int(np.argmin(errors))]
    return p + 1, q - 1


def _mix_fit(energy: Floats, length: int) -> Floats:
    """For every picture ``p`` with ``length`` pictures after it and one more (``q``): the correlation
    rho that fits the energy between them as a mix of ``p`` and ``q`` (see :func:`mixes`), by least
    squares, from sums that one correlation of the energy curve with the cross term gives."""
    alpha = np.arange(1, length + 1) / (length + 1)
    cross = 2 * alpha * (1 - alpha)
    ep, eq = energy[: -length - 1], energy[length + 1 :]
    along = np.correlate(energy[1:-1], cross, mode="valid")  # sum of E_k times the cross term
    fitted = along - ep * float(((1 - alpha) ** 2 * cross).sum()) - eq * float((alpha**2 * cross).sum())
    rho: Floats = fitted / np.maximum(np.sqrt(ep * eq) * float((cross * cross).sum()), 1e-9)
    return rho


def _mix_residual(energy: Floats, p: int, q: int, rho: float) -> float:
    """The mean distance of the energy between ``p`` and ``q`` from its fit, as a share of the cross term."""
    alpha = np.arange(1, q - p) / (q - p)
    cross = 2 * alpha * (1 - alpha) * np.sqrt(energy[p] * energy[q])
    base = (1 - alpha) ** 2 * energy[p] + alpha**2 * energy[q]
    return float(np.abs(energy[p + 1 : q] - base - rho * cross).mean() / max(float(cross.mean()), 1e-9))


def mixes(
    energy: Floats,
    spreads: Floats,
    coarse: npt.NDArray[np.float32],
    longest: int,
    flat: float,
    also: Floats | None = None,
) -> list[tuple[int, int]]:
    """Dissolves found from the edge energy alone, which camera motion hardly changes.

    The mix of two unrelated pictures A and B has the edge energy (1-a)^2 E_A + a^2 E_B + 2a(1-a)
    rho sqrt(E_A E_B), with rho about 0 (pictures of one shot give rho about 1). For each range of
    4 to ``longest`` pictures between a picture ``p`` and ``q``, rho is fitted with ``a`` growing
    evenly; a dissolve fits with a small rho and a small residual, and the energy hardly moves for a
    few pictures before ``p`` and after ``q`` (a camera slowly panning into a featureless sky keeps
    losing detail), and the pictures go from ``p`` to ``q`` about straight on the ``coarse``
    thumbnails (a fast pan walks far). Overlapping ranges keep the best fit.

    ``energy`` may be any such measure: the variance of the thumbnail's luma mixes the same way. With
    ``also`` (the edge energy, for the variance), a range must fit as a mix on that measure too,
    though it need not be steady around it (a zoom or a slow change of light moves the variance of
    one shot smoothly, but not its edge energy as a mix would)."""
    fits: list[tuple[float, int, int]] = []
    h = _MIX_BOUND
    walked = np.concatenate(([0.0], np.cumsum(np.abs(np.diff(coarse, axis=0)).mean(axis=1))))
    for length in range(4, longest + 1):
        if len(energy) < length + 2:
            break
        rho = _mix_fit(energy, length)
        rho_also = _mix_fit(also, length) if also is not None else rho
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
            if float(spreads[p : q + 1].min()) <= flat:
                continue  # passes through a flat picture: a fade, found from its flat pictures
            residual = _mix_residual(energy, p, q, float(rho[p]))
            if residual > _MIX_RESIDUAL:
                continue
            if rho_also[p] > _MIX_ALSO_RHO:
                continue
            straight = float(np.abs(coarse[q] - coarse[p]).mean())
            if straight < max(_MIX_APART, _MIX_STRAIGHT * (walked[q] - walked[p])):
                continue
            fits.append((float(rho[p]) + residual, p + 1, q - 1))
    kept: list[tuple[int, int]] = []
    for _, first, last in sorted(fits):
        if all(last < s or e < first for s, e in kept):
            kept.append((first, last))
    return sorted(kept)
