"""Shot transitions on news-like footage (tests/news_shots.py): moving cameras over photograph-like
pictures, fades through black, cuts out of black, and featureless ramps that are no shot change."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from news_shots import Image, _flat, _mix, _shot, news_clip, news_frames, score

from transcode.analysis import ShotDetector
from transcode.analysis.standalone import detect_shots

_W, _H = 320, 180


def _found(pictures: list[Image]) -> list[tuple[str, int, int]]:
    detector = ShotDetector()
    detector.start(25.0)
    for index, rgb in enumerate(pictures):
        gray = np.asarray(
            cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (160, 90), interpolation=cv2.INTER_AREA), np.uint8
        )
        detector.process(gray, index, index / 25)
    return [(s.kind, s.first, s.last) for s in detector.finish()]


def _ramp(frames: int) -> list[Image]:
    """A featureless field from black up to white and back down."""
    return [_flat(_W, _H, 16 + 219 * np.sin(np.pi * (k + 0.5) / frames)) for k in range(frames)]


def test_a_featureless_ramp_from_black_to_white_and_back_is_no_shot_change() -> None:
    black = [_flat(_W, _H, 16)] * 10
    assert _found(black + _ramp(50) + black) == []


def test_cuts_into_and_out_of_a_ramp_are_the_only_changes_around_it() -> None:
    rng = np.random.default_rng(3)
    before, after = _shot(_W, _H, 40, rng), _shot(_W, _H, 40, rng)
    black = [_flat(_W, _H, 16)] * 10
    assert _found(before + black + _ramp(40) + black + after) == [("cut", 40, 40), ("cut", 100, 100)]


def test_a_fade_to_black_then_a_cut_out_of_black_is_a_fade_out_and_a_cut() -> None:
    rng = np.random.default_rng(5)
    before, after = _shot(_W, _H, 50, rng), _shot(_W, _H, 40, rng)
    black = _flat(_W, _H, 16)
    faded = before[:38] + [_mix(before[38 + k], black, (k + 1) / 13) for k in range(12)]
    found = _found(faded + [black] * 8 + after)
    assert [kind for kind, _, _ in found] == ["fade_out", "cut"], found
    (_, first, last), (_, cut, _) = found
    assert abs(first - 38) <= 2 and abs(last - 49) <= 1 and cut == 58


@pytest.mark.parametrize("seed", [2, 4])
def test_on_the_news_set_cuts_fades_and_cuts_out_of_black_are_found_and_labelled_and_ramps_are_not_changes(
    seed: int,
) -> None:
    pictures, truth = news_frames(stories=3, seed=seed)
    report = score(_found(list(pictures)), truth)
    print(report)
    for kind in ("cut", "cut_from_black", "fade_out", "fade_in"):
        row = report.get(kind)
        if row:
            assert row["labelled"] >= 0.9 * row["count"], (kind, report)
    assert report.get("ramp", {}).get("found", 0) == 0, report


def test_the_news_set_encodes_as_a_clip_the_detector_reads(tmp_path: Path) -> None:
    clip, truth = news_clip(tmp_path / "news.mp4", stories=1, seed=7, width=160, height=90)
    found = [(s.kind, s.first, s.last) for s in detect_shots(clip)]
    report = score(found, truth)
    assert sum(row["count"] for kind, row in report.items() if kind != "extra") == len(truth.transitions) > 0
    with av.open(str(clip)) as container:
        assert truth.frames == sum(1 for _ in container.decode(video=0))


def test_a_dissolve_between_moving_cameras_reports_its_own_length() -> None:
    """Every window spanning a dissolve finds it, and long ones over moving cameras take some motion
    for part of the mix: the range is where the windows agree (a 7-frame dissolve was read as 24)."""
    pictures, truth = news_frames(stories=3, seed=2)
    found = _found(list(pictures))
    dissolves = [t for t in truth.transitions if t.kind == "dissolve"]
    assert sorted(t.last - t.first + 1 for t in dissolves) == [7, 38]
    for t in dissolves:
        (match,) = [f for f in found if f[0] == "dissolve" and f[1] <= t.last and t.first <= f[2]]
        assert abs(match[1] - t.first) <= 3 and abs(match[2] - t.last) <= 3, (match, t)


@pytest.mark.parametrize(("seed", "overlap"), [(11, 12), (12, 24)])
def test_a_dissolve_between_two_moving_cameras_is_found_as_a_dissolve_within_its_range(seed: int, overlap: int) -> None:
    """Both shots move during the mix, so the middle picture is no blend of the two ends; the edge
    energy of the mix still dips as a mix of two unrelated pictures does."""
    rng = np.random.default_rng(seed)
    before, after = _shot(_W, _H, 40 + overlap, rng), _shot(_W, _H, 40, rng)
    mixed = [_mix(before[40 + k], after[k], (k + 1) / (overlap + 1)) for k in range(overlap)]
    found = _found(before[:40] + mixed + after[overlap:])
    assert [kind for kind, _, _ in found] == ["dissolve"], found
    (_, first, last) = found[0]
    assert 40 <= first <= last <= 40 + overlap - 1 and last - first >= overlap // 2, found


def _inside(found: list[tuple[str, int, int]], kind: str, first: int, last: int) -> tuple[str, int, int]:
    """The one detection of ``kind`` overlapping ``first..last``, which must lie inside it."""
    (match,) = [f for f in found if f[0] == kind and f[1] <= last and first <= f[2]]
    assert first <= match[1] <= match[2] <= last, (match, first, last, found)
    return match


def test_a_dissolve_running_straight_into_a_fade_out_is_a_dissolve_then_a_fade_out_each_inside_its_range() -> None:
    """The incoming shot of a dissolve fades to black as soon as the dissolve ends (it was read as one
    long fade out from the dissolve's first picture)."""
    rng = np.random.default_rng(21)
    before, after, later = _shot(_W, _H, 60, rng), _shot(_W, _H, 40, rng), _shot(_W, _H, 40, rng)
    black = _flat(_W, _H, 16)
    mixed = [_mix(before[40 + k], after[k], (k + 1) / 21) for k in range(20)]
    faded = [_mix(after[20 + k], black, (k + 1) / 19) for k in range(18)]
    found = _found(before[:40] + mixed + faded + [black] * 6 + later)
    assert [kind for kind, _, _ in found] == ["dissolve", "fade_out", "cut"], found
    dissolve = _inside(found, "dissolve", 40, 59)
    _inside(found, "fade_out", 60, 77)
    assert dissolve[2] - dissolve[1] >= 10 and found[2][1] == 84, found


def test_a_fade_out_of_a_shot_whose_light_dims_begins_where_the_fade_does() -> None:
    """Dimming light takes detail away as a fade does, but in smaller steps: the fade is only where
    the steps are a fade's."""
    rng = np.random.default_rng(8)
    shot = _shot(_W, _H, 70, rng)
    dimming = [np.clip(p.astype(np.float32) * (1 - 0.006 * k), 16, 235).astype(np.uint8) for k, p in enumerate(shot)]
    black = _flat(_W, _H, 16)
    faded = dimming[:50] + [_mix(dimming[50 + k], black, (k + 1) / 21) for k in range(20)]
    found = _found(faded + [black] * 10)
    assert [kind for kind, _, _ in found] == ["fade_out"], found
    _, first, last = _inside(found, "fade_out", 50, 69)
    assert first <= 51 and last >= 66, found


def test_a_flash_and_a_jolt_of_the_camera_are_no_shot_change() -> None:
    """Two bright pictures, and a camera that jumps by 10x16 pixels (a change of 0.128, over the cut
    threshold): a shift of the old picture explains the jolt, and the flash's picture comes back."""
    rng = np.random.default_rng(13)
    shot = _shot(_W, _H, 60, rng)
    flashed = [
        np.clip(p.astype(np.float32) * 1.8 + 40, 16, 235).astype(np.uint8) if k in (20, 21) else p
        for k, p in enumerate(shot)
    ]
    jolted = [np.roll(p, (10, 16), axis=(0, 1)) if k >= 40 else p for k, p in enumerate(flashed)]
    assert _found(jolted) == []


@pytest.mark.parametrize("seed", [2, 4])
def test_on_the_news_set_every_gradual_transition_is_labelled_right_and_fades_lie_inside_their_ranges(
    seed: int,
) -> None:
    """Fades inside their true range; dissolves labelled right, at most three pictures past their true
    edges and over at least half their length (the first and last pictures of a dissolve are mixed
    by a twentieth or less: the hardest to place)."""
    pictures, truth = news_frames(stories=3, seed=seed)
    found = _found(list(pictures))
    report = score(found, truth)
    for kind in ("dissolve", "fade_out", "fade_in"):
        row = report.get(kind)
        if row:
            assert row["labelled"] == row["count"], (kind, report)
            assert kind == "dissolve" or row["inside"] == row["count"], (kind, report)
    for t in truth.transitions:
        if t.kind == "dissolve":
            (match,) = [f for f in found if f[0] == "dissolve" and f[1] <= t.last and t.first <= f[2]]
            assert t.first - 3 <= match[1] <= match[2] <= t.last + 3, (match, t)
            assert match[2] - match[1] >= (t.last - t.first) // 2, (match, t)
    assert report["extra"]["count"] == 0, report
