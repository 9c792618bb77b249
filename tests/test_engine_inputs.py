"""Footage as it arrives: film, NTSC and 60 Hz rates made into 25 frames/s, and camera containers."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_media import clip, field_numbers
from mediacheck import decode_audio

from transcode.pipeline import make_renditions
from transcode.plan import make_plan
from transcode.probe import probe
from transcode.profiles import load_profiles

PROFILES = load_profiles()


@pytest.mark.parametrize(
    ("rate", "mode"),
    [
        (Fraction(24000, 1001), "psf"),
        (Fraction(30000, 1001), "psf"),
        (Fraction(30), "psf"),
        (Fraction(60000, 1001), "weave"),
        (Fraction(60), "weave"),
    ],
    ids=["23.976", "29.97", "30", "59.94", "60"],
)
def test_each_common_rate_becomes_25i_showing_the_picture_of_each_field_s_own_time(
    tmp_path: Path, rate: Fraction, mode: str
) -> None:
    source = clip(tmp_path / "source.mp4", rate)
    info = probe(source)
    out = tmp_path / "broadcast_hd.mxf"
    plan = make_plan(source, info, [(PROFILES["broadcast_hd"], out)])
    assert plan.outputs[0].interlace == mode
    check = make_renditions(source, info, [(PROFILES["broadcast_hd"], out)]).checks[0]
    assert check.info is not None
    video = check.info.video[0]
    assert (video.frame_rate, video.field_order) == (25.0, "tff")
    assert video.duration == pytest.approx(info.duration, abs=1 / 25 + 1e-6)
    fields = field_numbers(out)
    assert len(fields) == round(info.duration * 25)
    source_frame = 1 / float(rate)
    for k, (top, bottom) in enumerate(fields):
        # the top field is the picture of the frame's own time; the bottom one, half a frame later
        # when the source has pictures that often (a 59.94/60 Hz source), else the same picture
        assert abs(top / float(rate) - k / 25) <= source_frame + 1e-6, (k, top, bottom)
        later = k / 25 + (1 / 50 if mode == "weave" else 0.0)
        assert abs(bottom / float(rate) - later) <= source_frame + 1e-6, (k, top, bottom)
        assert (bottom > top) if mode == "weave" else (bottom == top), (k, top, bottom)


_CONTAINERS: dict[str, dict[str, Any]] = {
    # AVCHD camera file: H.264 1080i-style interlaced (top field first) and AC-3 in 192-byte-packet TS
    "mts": {
        "format_name": "mpegts",
        "container_options": {"mpegts_m2ts_mode": "1"},
        "video_options": {"flags": "+ildct+ilme", "x264-params": "tff=1"},
        "interlaced": True,
        "audio_codec": "ac3",
    },
    # playout/camera MXF: MPEG-2 4:2:2 with a mono PCM track and a start timecode
    "mxf": {
        "format_name": "mxf",
        "video_codec": "mpeg2video",
        "pixel_format": "yuv422p",
        "video_options": {"b": "5M"},
        "audio_codec": "pcm_s16le",
        "audio_layout": "mono",
        "audio_format": "s16",
        "timecode": "01:02:03:04",
    },
    # web download: H.264 and Opus in Matroska (Opus streams carry no duration)
    "mkv": {"format_name": "matroska", "audio_codec": "libopus"},
    # edit suite master: ProRes 422 10-bit and PCM in QuickTime, with a timecode track
    "mov": {
        "format_name": "mov",
        "video_codec": "prores_ks",
        "pixel_format": "yuv422p10le",
        "audio_codec": "pcm_s16le",
        "audio_format": "s16",
        "timecode": "10:00:00:00",
    },
}


@pytest.mark.parametrize("kind", list(_CONTAINERS))
def test_camera_and_edit_suite_containers_render_every_frame_in_order_with_their_timecode(
    tmp_path: Path, kind: str
) -> None:
    source = clip(tmp_path / f"source.{kind}", Fraction(25), size=(320, 240), **_CONTAINERS[kind])
    info = probe(source)
    assert info.audio and info.video
    outputs = [(PROFILES["web_720p"], tmp_path / "web_720p.mp4"), (PROFILES["broadcast_hd"], tmp_path / "b.mxf")]
    plan = make_plan(source, info, outputs)
    assert plan.outputs[1].interlace == ("native" if kind == "mts" else "psf")
    result = make_renditions(source, info, outputs)
    web, broadcast = (c.info for c in result.checks)
    assert web is not None and broadcast is not None
    assert [top for top, _ in field_numbers(tmp_path / "web_720p.mp4")] == list(range(25))
    assert [top for top, _ in field_numbers(tmp_path / "b.mxf")] == list(range(25))
    assert broadcast.start_timecode == _CONTAINERS[kind].get("timecode", "00:00:00:00")  # MXF always has one
    assert result.checks[0].loudness is not None
    assert result.checks[0].loudness.integrated == pytest.approx(-16.0, abs=1.0)
    if kind == "mxf":  # a mono source fills the programme pair, tracks 1 and 2
        first, second = decode_audio(tmp_path / "b.mxf", 0)[0], decode_audio(tmp_path / "b.mxf", 1)[0]
        assert abs(first).max() > 0.05 and (first == second).all()


def test_a_surround_source_gives_broadcast_its_stereo_mix_on_tracks_1_2_and_its_channels_after(
    tmp_path: Path,
) -> None:
    source = clip(tmp_path / "surround.mov", Fraction(25), seconds=2.0, audio_codec="aac", audio_layout="5.1")
    result = make_renditions(source, probe(source), [(PROFILES["broadcast_hd"], tmp_path / "b.mxf")])
    check = result.checks[0]
    assert check.loudness is not None and check.loudness.integrated == pytest.approx(-24.0, abs=1.0)
    levels = [float(abs(decode_audio(tmp_path / "b.mxf", track)[0]).max()) for track in range(8)]
    assert all(level > 0 for level in levels)  # the mix, then all six channels (the LFE one band-limited)
    first, second = decode_audio(tmp_path / "b.mxf", 0)[0], decode_audio(tmp_path / "b.mxf", 1)[0]
    assert np.corrcoef(first, second)[0, 1] > 0.99  # the same tone on every channel: left and right alike
