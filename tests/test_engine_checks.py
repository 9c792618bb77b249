"""Output checks: each one passes a right rendition and refuses it once the plan asks for
something else (pixel format, bit rate, sample rate, timecode, HLS frame rate and true peak)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import pytest
from engine_media import clip

from transcode.errors import OutputCheckError
from transcode.pipeline import make_renditions
from transcode.plan import OutputPlan, RenderPlan, make_plan
from transcode.probe import probe
from transcode.profiles import load_profiles
from transcode.verify import verify_output

PROFILES = load_profiles()
NAMES = ["web_720p", "broadcast_hd", "radio", "hls"]
SECONDS = 2.0


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> RenderPlan:
    folder = tmp_path_factory.mktemp("checks")
    source = clip(
        folder / "source.mov",
        Fraction(25),
        seconds=SECONDS,
        size=(640, 360),
        format_name="mov",
        audio_codec="aac",
        timecode="10:00:00:00",
    )
    info = probe(source)
    outputs = [(PROFILES[n], PROFILES[n].output_path(folder / "out")) for n in NAMES]
    make_renditions(source, info, outputs)  # every check passed, or this raised
    return make_plan(source, info, outputs)


def _out(plan: RenderPlan, name: str) -> OutputPlan:
    return next(o for o in plan.outputs if o.profile.name == name)


def _with_video(out: OutputPlan, **changes: Any) -> OutputPlan:
    assert out.video is not None
    return dataclasses.replace(out, video=out.video.model_copy(update=changes))


def _with_audio(out: OutputPlan, **changes: Any) -> OutputPlan:
    assert out.audio is not None
    return dataclasses.replace(out, audio=out.audio.model_copy(update=changes))


def test_the_right_renditions_pass_with_what_was_measured(made: RenderPlan) -> None:
    web = verify_output(_out(made, "web_720p"), SECONDS)
    broadcast = verify_output(_out(made, "broadcast_hd"), SECONDS, "10:00:00:00")
    assert web.info is not None and web.info.video[0].pixel_format == "yuv420p"
    assert broadcast.info is not None and broadcast.info.video[0].pixel_format == "yuv422p"
    assert broadcast.info.start_timecode == "10:00:00:00"


def test_a_wrong_pixel_format_is_refused(made: RenderPlan) -> None:
    with pytest.raises(OutputCheckError, match="pixel format is yuv422p, not yuv420p"):
        verify_output(_with_video(_out(made, "broadcast_hd"), pixel_format="yuv420p"), SECONDS)


def test_a_video_bit_rate_outside_the_profile_s_rate_control_is_refused(made: RenderPlan) -> None:
    with pytest.raises(OutputCheckError, match=r"video is 50\.\d+ Mb/s, below the constant 100 Mb/s"):
        verify_output(_with_video(_out(made, "broadcast_hd"), bitrate=100_000_000, max_bitrate=100_000_000), SECONDS)
    with pytest.raises(OutputCheckError, match=r"video is 50\.\d+ Mb/s, above the 20 Mb/s the profile allows"):
        verify_output(_with_video(_out(made, "broadcast_hd"), bitrate=20_000_000, max_bitrate=20_000_000), SECONDS)
    tiny = _with_video(_out(made, "web_720p"), bitrate=1_000, max_bitrate=1_000)
    with pytest.raises(OutputCheckError, match=r"above the 0\.001 Mb/s the profile allows"):
        verify_output(tiny, SECONDS)


def test_an_audio_bit_rate_or_sample_rate_other_than_the_profile_s_is_refused(made: RenderPlan) -> None:
    with pytest.raises(OutputCheckError, match=r"audio is sampled at \[48000\] Hz, not 44100 Hz"):
        verify_output(_with_audio(_out(made, "radio"), sample_rate=44100), SECONDS)
    with pytest.raises(OutputCheckError, match=r"audio is 19\d kb/s, above the profile's 96 kb/s"):
        verify_output(_with_audio(_out(made, "radio"), bitrate=96_000), SECONDS)
    with pytest.raises(OutputCheckError, match="PCM audio is 1152 kb/s, not 768 kb/s"):
        verify_output(_with_audio(_out(made, "broadcast_hd"), codec="pcm_s16le"), SECONDS)


def test_a_carried_timecode_other_than_the_source_s_is_refused(made: RenderPlan) -> None:
    with pytest.raises(OutputCheckError, match="starts at timecode 10:00:00:00, not the source's 09:59:59:00"):
        verify_output(_out(made, "broadcast_hd"), SECONDS, "09:59:59:00")


def test_an_hls_rung_at_another_frame_rate_or_audio_over_its_true_peak_is_refused(made: RenderPlan) -> None:
    hls = _out(made, "hls")
    assert verify_output(hls, SECONDS).loudness is not None
    thirty = dataclasses.replace(hls, rungs=tuple(dataclasses.replace(r, rate=Fraction(30)) for r in hls.rungs))
    with pytest.raises(OutputCheckError, match="640x360 runs at 25 frames/s, not 30"):
        verify_output(thirty, SECONDS)
    assert hls.profile.loudness is not None
    strict = hls.profile.model_copy(update={"loudness": hls.profile.loudness.model_copy(update={"true_peak": -20.0})})
    with pytest.raises(OutputCheckError, match=r"true peak is -\d+\.\d dBTP, limit -20\.0 dBTP"):
        verify_output(dataclasses.replace(hls, profile=strict), SECONDS)
