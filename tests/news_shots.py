"""An evaluation set that looks like news footage, with the true type and range of every transition.

Each shot is a camera over a large generated photograph-like picture (several octaves of coloured
value noise, hard-edged blocks and lines like buildings and signs): it zooms, pans, shakes or holds
still while the light changes, with sensor noise on every picture. Shots are joined the way news
is edited: hard cuts, dissolves between sources of any length, fades through black between stories
(out, a hold of black, in), cuts out of black after a fade out, and a featureless field that ramps
black, white, black between two stories, after a fade out or a cut into black and before a fade in
or a cut out of black (the ramp itself is no shot change at all).

Truth is a list of ``(kind, first, last)`` frame ranges: ``cut`` (first = last = the new shot's first
frame), ``dissolve``, ``fade_out``, ``fade_in``, and ``ramp`` (a range where nothing may be found).
:func:`score` reports, per kind, how many were found and how many labelled right.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["KINDS", "Image", "NewsTruth", "Transition", "news_clip", "news_frames", "score"]

Image = npt.NDArray[np.uint8]
KINDS = ("cut", "dissolve", "fade_out", "fade_in", "cut_from_black", "ramp")
_BLACK = 16  # limited-range black, as broadcast pictures have it


@dataclass(frozen=True)
class Transition:
    kind: str
    """``cut``, ``dissolve``, ``fade_out``, ``fade_in``, ``cut_from_black`` (a cut whose old shot is
    black) or ``ramp`` (a featureless black-white-black field: nothing to find)."""
    first: int
    last: int


@dataclass
class NewsTruth:
    frames: int = 0
    transitions: list[Transition] = field(default_factory=list)


def _photo(width: int, height: int, rng: np.random.Generator) -> Image:
    """A photograph-like picture: value noise at four scales, coloured, with blocks and lines."""
    out = np.zeros((height, width, 3), np.float32)
    for cells, weight in ((3, 0.45), (9, 0.3), (27, 0.15), (81, 0.1)):
        light = rng.random((max(2, cells * height // width), cells, 1)).astype(np.float32)  # shared by the channels
        tint = rng.uniform(0.75, 1.25, (1, 1, 3)).astype(np.float32)
        grid = np.clip(light * tint, 0, 1)
        out += weight * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    low, high = np.percentile(out, (2, 98))
    out = (out - low) / max(1e-3, high - low) * rng.uniform(150, 210) + rng.uniform(16, 50)
    for _ in range(int(rng.integers(6, 14))):  # buildings, windows, signs
        x, y = int(rng.integers(0, width - 20)), int(rng.integers(0, height - 20))
        w, h = int(rng.integers(10, width // 4)), int(rng.integers(10, height // 3))
        colour = rng.uniform(20, 235, 3).astype(np.float32)
        out[y : y + h, x : x + w] = 0.3 * out[y : y + h, x : x + w] + 0.7 * colour
    for _ in range(int(rng.integers(4, 10))):
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p2 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(out, p1, p2, tuple(float(c) for c in rng.uniform(0, 255, 3)), int(rng.integers(1, 4)))
    return np.asarray(np.clip(out, 16, 235), np.uint8)


def _shot(width: int, height: int, frames: int, rng: np.random.Generator) -> list[Image]:
    """A camera moving over a photograph: zoom, pan, shake, or still with the light changing."""
    photo = _photo(width * 2, height * 2, rng)
    motion = str(rng.choice(["zoom", "pan", "shake", "light"]))
    cx, cy = width * 1.0, height * 1.0
    dx, dy = rng.uniform(-3, 3) * width / 320, rng.uniform(-1.5, 1.5) * height / 180
    zoom0, zoom1 = (1.0, rng.uniform(1.15, 1.35)) if motion == "zoom" else (1.1, 1.1)
    gain0, gain1 = (1.0, rng.uniform(0.65, 1.25)) if motion == "light" else (1.0, 1.0)
    jitter = np.zeros(2)
    pictures = []
    for k in range(frames):
        t = k / max(1, frames - 1)
        zoom = zoom0 + (zoom1 - zoom0) * t
        x, y = cx + dx * k, cy + dy * k
        if motion == "shake":
            jitter = 0.6 * jitter + rng.normal(0, 3.0 * width / 320, 2)
            x, y = x + jitter[0], y + jitter[1]
        scale = zoom * 0.55
        matrix = np.array([[scale, 0, x - scale * width / 2], [0, scale, y - scale * height / 2]], np.float32)
        view = cv2.warpAffine(photo, matrix, (width, height), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)
        light = gain0 + (gain1 - gain0) * t
        noisy = view.astype(np.float32) * light + rng.normal(0, 2.0, view.shape)
        pictures.append(np.clip(noisy, 16, 235).astype(np.uint8))
    return pictures


def _mix(a: Image, b: Image, alpha: float) -> Image:
    return np.clip(a.astype(np.float32) * (1 - alpha) + b.astype(np.float32) * alpha + 0.5, 0, 255).astype(np.uint8)


def _flat(width: int, height: int, level: float) -> Image:
    return np.full((height, width, 3), round(level), np.uint8)


def news_frames(
    *, stories: int = 6, seed: int = 1, width: int = 320, height: int = 180
) -> tuple[Iterator[Image], NewsTruth]:
    """The pictures of the set (made as they are taken) and its truth, filled in as they are made."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    around_ramp = random.Random(seed * 7919)  # its own draws: the rest of the set stays as it was
    truth = NewsTruth()
    black = _flat(width, height, _BLACK)
    joins = ["cut", "dissolve", "fade", "cut_from_black", "ramp"]
    plan = [pick.choice(joins) for _ in range(stories * 3)]
    for join in joins:  # every kind at least once
        if join not in plan:
            plan[pick.randrange(len(plan))] = join

    def generate() -> Iterator[Image]:
        count, touched = 0, 0  # touched: the first pictures of `pending` that the join before it mixed
        pending = _shot(width, height, pick.randint(40, 90), rng)
        for join in plan:
            incoming = _shot(width, height, pick.randint(40, 90), rng)
            room = len(pending) - touched  # a transition out of a shot mixes no picture the one into it mixed
            overlap = min(pick.randint(6, 38), room) if join == "dissolve" else 0
            if join == "cut" or (join == "dissolve" and overlap < 6):
                yield from pending
                count += len(pending)
                truth.transitions.append(Transition("cut", count, count))
                touched = 0
            elif join == "dissolve":
                yield from pending[:-overlap]
                count += len(pending) - overlap
                tail = pending[-overlap:]
                for k in range(overlap):
                    incoming[k] = _mix(tail[k], incoming[k], (k + 1) / (overlap + 1))
                truth.transitions.append(Transition("dissolve", count, count + overlap - 1))
                touched = overlap
            else:
                fading = min(pick.randint(6, 30), room)
                cut_in = join == "ramp" and around_ramp.random() < 0.5  # cut into black, cut out of it
                if cut_in or fading < 6:
                    fading = 0
                kept = len(pending) - fading
                for k in range(fading):
                    pending[kept + k] = _mix(pending[kept + k], black, (k + 1) / (fading + 1))
                yield from pending
                count += len(pending)
                if not fading:
                    truth.transitions.append(Transition("cut", count, count))
                else:
                    truth.transitions.append(Transition("fade_out", count - fading, count - 1))
                hold = pick.randint(0, 8) if join == "fade" else pick.randint(3, 12)
                for _ in range(hold):
                    yield black
                count += hold
                if join == "ramp":  # black, up to white and back, featureless: then a fade in
                    length = pick.randint(20, 60)
                    for k in range(length):
                        level = _BLACK + (235 - _BLACK) * np.sin(np.pi * (k + 0.5) / length)
                        yield _flat(width, height, level)
                    truth.transitions.append(Transition("ramp", count, count + length - 1))
                    count += length
                    for _ in range(3):
                        yield black
                    count += 3
                if cut_in:
                    pick.randint(6, 30)  # the fade in's draw: the rest of the set stays as it was
                touched = 0
                if join == "cut_from_black" or cut_in:
                    truth.transitions.append(Transition("cut_from_black", count, count))
                else:
                    rising = pick.randint(6, 30)
                    touched = rising
                    for k in range(rising):
                        incoming[k] = _mix(black, incoming[k], (k + 1) / (rising + 1))
                    truth.transitions.append(Transition("fade_in", count, count + rising - 1))
            pending = incoming
        yield from pending
        count += len(pending)
        truth.frames = count

    return generate(), truth


def news_clip(
    path: Path, *, stories: int = 6, seed: int = 1, width: int = 320, height: int = 180
) -> tuple[Path, NewsTruth]:
    """The set encoded as H.264 (25 frames/s), as a camera or an edit suite would deliver it."""
    pictures, truth = news_frames(stories=stories, seed=seed, width=width, height=height)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index, rgb in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path, truth


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def score(found: Sequence[tuple[str, int, int]], truth: NewsTruth) -> dict[str, dict[str, Any]]:
    """Per kind: how many there are, found (a cut within a frame; a gradual transition by a detection
    that overlaps its range), labelled right, ``inside`` (gradual ones: a detection labelled right
    lies inside the true range), and for gradual ones the detected length against the true one.
    For ``ramp``: detections inside it (false shot changes; none is right). ``extra`` counts
    detections matching nothing, and those beside the one labelled right on the same transition."""
    report: dict[str, dict[str, Any]] = {}
    used: set[int] = set()
    for t in truth.transitions:
        row = report.setdefault(t.kind, {"count": 0, "found": 0, "labelled": 0, "length_errors": []})
        row["count"] += 1
        if t.kind == "ramp":
            inside = [k for k, (_, s, e) in enumerate(found) if _overlaps((s, e), (t.first, t.last))]
            used.update(inside)
            row["found"] += bool(inside)
            row["labelled"] += not inside
            continue
        if t.kind in ("cut", "cut_from_black"):
            near = [k for k, (_, s, _e) in enumerate(found) if abs(s - t.first) <= 1]
            label = "cut"
        else:
            near = [k for k, (_, s, e) in enumerate(found) if _overlaps((s, e), (t.first, t.last))]
            label = t.kind
            row.setdefault("inside", 0)
        if not near:
            continue
        row["found"] += 1
        right = [k for k in near if found[k][0] == label]
        used.update(right[:1] or near)
        if right:
            row["labelled"] += 1
            _, s, e = found[right[0]]
            if t.kind not in ("cut", "cut_from_black"):
                row["length_errors"].append((e - s) - (t.last - t.first))
                row["inside"] += t.first <= s and e <= t.last
    for row in report.values():
        errors = row.pop("length_errors")
        if errors:
            row["mean_abs_length_error"] = round(float(np.mean(np.abs(errors))), 2)
    report["extra"] = {"count": len(found) - len(used & set(range(len(found))))}
    return report
