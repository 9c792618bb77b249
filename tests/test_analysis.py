"""Shots, keyframes, storyboard and QC, measured on generated clips with known answers."""

from __future__ import annotations

import math
import pickle
import re
import subprocess
from collections.abc import Callable
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest
from analysis_media import (
    _lavfi,
    _mix,
    boundaries,
    evaluate_cuts,
    evaluate_graduals,
    evaluate_transitions,
    interlaced_clip,
    programme_wav,
    qc_clip,
    quarter_rate_sine_wav,
    shots_clip,
    tone_wav,
    wav_samples,
)
from bs1770 import integrated_and_range

from transcode.analysis import AnalysisBranch, Segment, ShotDetector
from transcode.analysis.branch import shots_from
from transcode.analysis.pictures import Candidate, KeyframePicker
from transcode.analysis.qc import QCProfile, judge, load_qc_profile, load_qc_profiles
from transcode.errors import ProfileError
from transcode.loudness import measure_programme
from transcode.pipeline import make_renditions
from transcode.probe import probe
from transcode.profiles import default_profiles_dir, load_profiles
from transcode.timecode import parse_timecode


def _detect(path: Path) -> tuple[list[int], list[tuple[str, int, int]]]:
    detector = ShotDetector()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        detector.start(float(stream.average_rate or 25))
        for index, frame in enumerate(container.decode(stream)):
            detector.process(frame.to_ndarray(format="gray", width=160, height=90), index, float(frame.time or 0))
    found = detector.finish()
    return [s.first for s in found if s.kind == "cut"], [(s.kind, s.first, s.last) for s in found if s.kind != "cut"]


def _prf(scores: tuple[float, float, float]) -> str:
    return "P {:.3f} R {:.3f} F1 {:.3f}".format(*scores)


@pytest.mark.parametrize("seed", [1, 3])
def test_shot_detector_finds_hard_cuts_to_the_frame_and_labels_dissolves_fades_out_and_fades_in(
    tmp_path: Path, seed: int, record_property: Callable[[str, object], None]
) -> None:
    clip, truth = shots_clip(tmp_path / "shots.mp4", seed=seed)
    cuts, transitions = _detect(clip)
    exact, near = evaluate_cuts(cuts, truth.cuts, 0), evaluate_cuts(cuts, truth.cuts, 1)
    gradual = evaluate_graduals(boundaries(transitions), truth.graduals)
    labelled = evaluate_transitions(transitions, truth.transitions)
    report = (
        f"seed {seed} ({len(truth.cuts)} cuts, {len(truth.graduals)} gradual): cuts exact {_prf(exact)}; "
        f"cuts ±1 frame {_prf(near)}; gradual {_prf(gradual)}; labelled {_prf(labelled)}"
    )
    print(report)
    record_property("shot_detection", report)
    assert min(exact) >= 0.9 and exact[2] >= 0.95, report  # precision, recall and F1 to the frame
    assert all(n >= e for n, e in zip(near, exact, strict=True)) and near[2] >= 0.95, report
    assert min(gradual) >= 0.8 and gradual[2] >= 0.9, report
    assert min(labelled) >= 0.85 and labelled[2] >= 0.9, report
    kinds = {kind for kind, _, _ in transitions}
    assert kinds == {"dissolve", "fade_out", "fade_in"}, kinds
    assert not {f + d for f in truth.flashes for d in (0, 1, 2)} & set(cuts), "a flash was taken for a cut"


@cache
def _pictures() -> dict[str, np.ndarray]:
    return {name: _lavfi(name, 160, 90, 1, 10, 3)[0] for name in ("testsrc2", "smptehdbars", "mandelbrot", "testsrc")}


def _flat(value: tuple[int, int, int]) -> np.ndarray:
    return np.full((90, 160, 3), value, np.uint8)


def _gray(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb.mean(axis=2), np.uint8)


def test_fades_to_and_from_black_or_a_colour_are_told_from_dissolves() -> None:
    pictures = _pictures()
    a, b, c, d = (pictures[name] for name in ("testsrc2", "smptehdbars", "mandelbrot", "testsrc"))
    black, blue, white = _flat((16, 16, 16)), _flat((40, 60, 160)), _flat((235, 235, 235))
    timeline = [black] * 5
    timeline += [_mix(black, a, (k + 1) / 13) for k in range(12)] + [a] * 30  # fade in from black: 5-16
    timeline += [_mix(a, b, (k + 1) / 16) for k in range(15)] + [b] * 30  # dissolve: 47-61
    timeline += [_mix(b, blue, (k + 1) / 11) for k in range(10)] + [blue] * 4  # fade out to blue: 92-101
    timeline += [_mix(blue, c, (k + 1) / 11) for k in range(10)] + [c] * 30  # fade in from blue: 106-115
    timeline += [_mix(c, d, (k + 1) / 13) for k in range(12)] + [d] * 30  # dissolve: 146-157
    timeline += [_mix(d, white, (k + 1) / 13) for k in range(12)] + [white] * 6  # fade out to white: 188-199
    detector = ShotDetector()
    detector.start(25.0)
    for index, rgb in enumerate(timeline):
        detector.process(_gray(rgb), index, index / 25)
    found = [(s.kind, s.first, s.last) for s in detector.finish()]
    truth = [
        ("fade_in", 5, 16),
        ("dissolve", 47, 61),
        ("fade_out", 92, 101),
        ("fade_in", 106, 115),
        ("dissolve", 146, 157),
        ("fade_out", 188, 199),
    ]
    assert [kind for kind, _, _ in found] == [kind for kind, _, _ in truth], found
    for (_, first, last), (_, true_first, true_last) in zip(found, truth, strict=True):
        assert abs(first - true_first) <= 2 and abs(last - true_last) <= 2, found


@pytest.fixture(scope="module")
def qc_job(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    folder = tmp_path_factory.mktemp("qc")
    clip, truth = qc_clip(folder / "qc.mov")
    proxy = load_profiles(default_profiles_dir())["proxy"]
    result = make_renditions(clip, probe(clip), [(proxy, proxy.output_path(folder / "out"))])
    return result, truth


def test_render_job_analysis_locates_black_frozen_and_silent_segments_within_one_frame(qc_job: tuple) -> None:
    result, truth = qc_job
    analysis = result.analysis
    assert analysis is not None
    (black,) = analysis.segments["black"]
    assert abs(black["first_frame"] - truth.black[0]) <= 1 and abs(black["last_frame"] - truth.black[1]) <= 1
    (frozen,) = analysis.segments["freeze"]
    assert abs(frozen["first_frame"] - truth.frozen[0]) <= 1 and abs(frozen["last_frame"] - truth.frozen[1]) <= 1
    (silence,) = analysis.audio["silence"]
    assert abs(silence["start"] - truth.silence[0]) <= 0.04 and abs(silence["end"] - truth.silence[1]) <= 0.04
    assert analysis.audio["clipping_events"] >= 1 and abs(analysis.audio["first_clipping"][0] - truth.clipped_at) < 0.04
    assert analysis.interlace["detected"] == "progressive"


def test_render_job_analysis_makes_shots_keyframes_poster_and_a_webvtt_storyboard(qc_job: tuple) -> None:
    result, truth = qc_job
    analysis = result.analysis
    assert [s.first_frame for s in analysis.shots] == [0, truth.black[0], truth.black[1] + 1]
    assert all(s.keyframe is not None and s.keyframe.stat().st_size > 0 for s in analysis.shots)
    assert analysis.poster is not None and analysis.poster.exists()
    vtt = analysis.storyboard_vtt.read_text().splitlines()
    assert vtt[0] == "WEBVTT" and "storyboard/0.jpg#xywh=0,0,160,90" in vtt
    assert sum("-->" in line for line in vtt) == 6
    assert pickle.loads(pickle.dumps(result)).analysis.shots == analysis.shots


def test_known_loudness_tone_measures_within_a_tenth_of_a_lu(tmp_path: Path) -> None:
    wav = tone_wav(tmp_path / "tone.wav", -24.0)
    measured = measure_programme(wav, probe(wav))
    assert measured is not None
    assert abs(measured.integrated - -24.0) <= 0.1
    assert measured.range < 0.5


def test_qc_report_judges_the_same_measurements_against_each_shipped_profile(qc_job: tuple) -> None:
    result, _ = qc_job
    profiles = load_qc_profiles()
    assert set(profiles) == {"gy_t_282_2014", "ebu_r128"}
    report = judge(result.analysis.measurements(), profiles["gy_t_282_2014"])
    status = {c["check"]: c["status"] for c in report["checks"]}
    assert status["black"] == "warn" and status["freeze"] == "warn" and status["silence"] == "warn"
    assert status["clipping"] == "fail" and report["verdict"] == "fail"
    assert judge(result.analysis.measurements(), profiles["ebu_r128"])["profile"] == "ebu_r128"


def test_qc_profile_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    good = (load_qc_profiles()["ebu_r128"]).model_dump()
    assert QCProfile.model_validate(good).name == "ebu_r128"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ntitle = "x"\nspeed = 3\n')
    with pytest.raises(ProfileError):
        load_qc_profile(bad)


def test_a_change_in_the_second_frame_does_not_trip_the_detector() -> None:
    detector = ShotDetector()
    detector.start(25.0)
    pictures = [np.zeros((90, 160), np.uint8)] + [np.full((90, 160), 200, np.uint8)] * 30
    for index, gray in enumerate(pictures):
        detector.process(gray, index, index / 25)
    assert [s.first for s in detector.finish() if s.kind == "cut"] == [1]


def test_a_shot_keyframe_is_black_only_when_the_shot_has_no_picture_with_content() -> None:
    picker = KeyframePicker(25, Path("unused"))
    picker.candidates = [
        Candidate(index=10, seconds=0.4, score=0.0, path=Path("10.jpg")),  # black, clear of the fade
        Candidate(index=20, seconds=0.8, score=5.0, path=Path("20.jpg")),  # content, inside the fade
        Candidate(index=40, seconds=1.6, score=0.0, path=Path("40.jpg")),  # the next shot: black throughout
    ]
    chosen = picker.choose([(0, 29), (30, 49)], avoid=[(18, 22)])
    assert [c.index if c else None for c in chosen] == [20, 40]


def test_every_shot_gets_its_own_keyframe_even_a_shot_of_a_few_frames(tmp_path: Path) -> None:
    names = ("testsrc2", "smptehdbars", "mandelbrot", "testsrc", "rgbtestsrc", "yuvtestsrc", "colorspectrum")
    lengths = (20, 4, 7, 3, 30, 5, 9, 25)
    starts = [sum(lengths[:k]) for k in range(len(lengths))]
    pictures = [_lavfi(names[k % len(names)], 320, 180, length, 5, 1) for k, length in enumerate(lengths)]
    branch = AnalysisBranch(tmp_path, 25.0, None, 25)
    for index, rgb in enumerate(p for shot in pictures for p in shot):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = index, Fraction(1, 25)
        branch.consume(frame, 0)
    branch.finish()
    shots = branch.result.shots
    assert [s.first_frame for s in shots] == starts
    for shot in shots:
        assert shot.keyframe is not None and shot.keyframe.stat().st_size > 0, shot
        assert shot.keyframe_frame is not None and shot.first_frame <= shot.keyframe_frame <= shot.last_frame, shot
    assert not (tmp_path / "candidates").exists(), "the candidates not chosen are deleted"


@pytest.mark.parametrize(
    ("content", "declared", "verdict"), [("tff", "tff", "pass"), ("bff", "bff", "pass"), ("tff", "bff", "warn")]
)
def test_field_order_is_detected_from_the_fields_motion_and_a_wrong_flag_is_a_qc_warning(
    tmp_path: Path, content: str, declared: str, verdict: str
) -> None:
    clip = interlaced_clip(tmp_path / "fields.mov", content=content, declared=declared)
    info = probe(clip)
    assert info.video[0].field_order == declared
    proxy = load_profiles(default_profiles_dir())["proxy"]
    result = make_renditions(clip, info, [(proxy, proxy.output_path(tmp_path / "out"))])
    assert result.analysis is not None
    interlace = result.analysis.interlace
    assert (interlace["declared"], interlace["detected"]) == (declared, content)
    assert interlace["frames_checked"] >= 8 and interlace["counts"][f"multiple.{content}"] >= 8
    report = judge(result.analysis.measurements(), load_qc_profiles()["gy_t_282_2014"])
    (check,) = [c for c in report["checks"] if c["check"] == "field_order"]
    assert (check["status"], check["value"]) == (verdict, content)
    assert (declared in check["detail"] and content in check["detail"]) == (verdict == "warn")


def _ffmpeg_ebur128(path: Path) -> dict[str, float]:
    """The ffmpeg command line's own ebur128 summary of ``path``: I (LUFS), LRA (LU), Peak (dBTP)."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path)]
    done = subprocess.run(
        [*command, "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    summary = done.stderr[done.stderr.rindex("Summary:") :]
    return {key: float(re.search(rf"{key}:\s+(-?[\d.]+)", summary)[1]) for key in ("I", "LRA", "Peak")}  # type: ignore[index]


def test_loudness_agrees_with_the_ffmpeg_command_line_and_an_independent_bs1770_meter(tmp_path: Path) -> None:
    wav = programme_wav(tmp_path / "programme.wav")
    ours = measure_programme(wav, probe(wav))
    assert ours is not None
    cli = _ffmpeg_ebur128(wav)
    reference, lra = integrated_and_range(*wav_samples(wav))
    print(
        f"ours I {ours.integrated:.3f} LRA {ours.range:.2f} TP {ours.true_peak:.2f}; ffmpeg {cli}; "
        f"numpy BS.1770 I {reference:.3f} LRA {lra:.2f}"
    )
    assert -26 < reference < -21, "the programme is meant to sit near broadcast loudness"
    assert abs(ours.integrated - cli["I"]) <= 0.1 and abs(ours.integrated - reference) <= 0.1
    assert abs(ours.range - cli["LRA"]) <= 0.1 and abs(ours.range - lra) <= 0.2 and ours.range > 5
    assert abs(ours.true_peak - cli["Peak"]) <= 0.1


def test_true_peak_finds_the_peak_between_samples_three_db_over_the_sample_peak(tmp_path: Path) -> None:
    amplitude = 0.5  # -6.02 dBTP
    wav = quarter_rate_sine_wav(tmp_path / "quarter.wav", amplitude)
    samples, _ = wav_samples(wav)
    sample_peak = 20 * math.log10(float(np.abs(samples).max()))
    assert abs(sample_peak - (20 * math.log10(amplitude) - 3.01)) < 0.01
    measured = measure_programme(wav, probe(wav))
    assert measured is not None
    assert abs(measured.true_peak - 20 * math.log10(amplitude)) <= 0.1, measured
    assert abs(_ffmpeg_ebur128(wav)["Peak"] - 20 * math.log10(amplitude)) <= 0.1


def test_a_fade_out_ends_a_shot_and_the_fade_in_after_it_begins_the_next() -> None:
    transitions = [
        Segment("cut", 30, 30, 1.2, 1.24),
        Segment("fade_out", 60, 71, 2.4, 2.88),
        Segment("fade_in", 75, 86, 3.0, 3.48),
        Segment("dissolve", 120, 134, 4.8, 5.4),
        Segment("fade_out", 180, 199, 7.2, 8.0),  # to black at the end: no shot of its own
    ]
    shots = shots_from(transitions, 200, [k / 25 for k in range(200)], 25.0, parse_timecode("00:00:00:00", 25))
    assert shots == [(0, 29, "start", 0), (30, 74, "cut", 0), (75, 119, "fade_in", 12), (120, 199, "dissolve", 15)]
