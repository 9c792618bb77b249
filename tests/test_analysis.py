"""Shots, keyframes, storyboard and QC, measured on generated clips with known answers."""

from __future__ import annotations

import pickle
from pathlib import Path

import av
import pytest
from analysis_media import evaluate_cuts, evaluate_graduals, qc_clip, shots_clip, tone_wav

from transcode.analysis import ShotDetector
from transcode.analysis.pictures import Candidate, KeyframePicker
from transcode.analysis.qc import QCProfile, judge, load_qc_profile, load_qc_profiles
from transcode.errors import ProfileError
from transcode.loudness import measure_programme
from transcode.pipeline import make_renditions
from transcode.probe import probe
from transcode.profiles import default_profiles_dir, load_profiles


def _detect(path: Path) -> tuple[list[int], list[tuple[int, int]]]:
    detector = ShotDetector()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        detector.start(float(stream.average_rate or 25))
        for index, frame in enumerate(container.decode(stream)):
            detector.process(frame.to_ndarray(format="gray", width=160, height=90), index, float(frame.time or 0))
    found = detector.finish()
    return [s.first for s in found if s.kind == "cut"], [(s.first, s.last) for s in found if s.kind != "cut"]


@pytest.mark.parametrize("seed", [1, 4])
def test_shot_detector_finds_hard_cuts_to_the_frame_and_gradual_transitions_as_ranges(
    tmp_path: Path, seed: int
) -> None:
    clip, truth = shots_clip(tmp_path / "shots.mp4", seed=seed)
    cuts, graduals = _detect(clip)
    exact, near, gradual = (
        evaluate_cuts(cuts, truth.cuts, 0),
        evaluate_cuts(cuts, truth.cuts, 1),
        evaluate_graduals(graduals, truth.graduals),
    )
    print(f"seed {seed}: cuts P/R/F1 exact {exact}, ±1 {near}; gradual {gradual}")
    assert exact[2] >= 0.9
    assert gradual[2] >= 0.8
    assert not {f + d for f in truth.flashes for d in (0, 1, 2)} & set(cuts), "a flash was taken for a cut"


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
    import numpy as np

    from transcode.analysis.shots import ShotDetector

    detector = ShotDetector()
    detector.start(25.0)
    pictures = [np.zeros((90, 160), np.uint8)] + [np.full((90, 160), 200, np.uint8)] * 30
    for index, gray in enumerate(pictures):
        detector.process(gray, index, index / 25)
    assert [s.first for s in detector.finish() if s.kind == "cut"] == [1]


def test_a_shot_keyframe_is_black_only_when_the_shot_has_no_picture_with_content() -> None:
    picker = KeyframePicker(rate=25)
    picker.candidates = [
        Candidate(index=10, seconds=0.4, score=0.0, jpeg=b""),  # black, clear of the fade
        Candidate(index=20, seconds=0.8, score=5.0, jpeg=b""),  # content, inside the fade
        Candidate(index=40, seconds=1.6, score=0.0, jpeg=b""),  # the next shot: black throughout
    ]
    chosen = picker.choose([(0, 29), (30, 49)], avoid=[(18, 22)])
    assert [c.index if c else None for c in chosen] == [20, 40]
