"""The render engine alone (no catalog): one decode, many correct outputs."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import Media
from mediacheck import (
    anamorphic_clip,
    black_then_picture,
    comb_ratio,
    count_video_frames,
    first_rgb_frame,
    top_level_boxes,
)

from transcode import generate
from transcode.errors import RenderError
from transcode.plan import make_plan
from transcode.posters import frame_score
from transcode.probe import probe
from transcode.profiles import Profile, load_profiles
from transcode.render import RenderReport, render

PROFILES = load_profiles()


def _render(source: Path, names: list[str], out: Path, **plan_changes: object) -> RenderReport:
    info = probe(source)
    chosen: list[Profile] = [PROFILES[n] for n in names]
    plan = make_plan(source, info, [(p, out / f"{p.name}.{p.extension}") for p in chosen])
    if plan_changes:
        plan = dataclasses.replace(plan, **plan_changes)  # type: ignore[arg-type]
    return render(plan)


@pytest.fixture(scope="module")
def broadcast_outputs(media: Media, tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderReport, Path]:
    out = tmp_path_factory.mktemp("broadcast")
    return _render(media.broadcast, ["proxy", "web_720p", "poster"], out), out


def test_all_renditions_come_from_one_decode_of_the_source(media: Media, broadcast_outputs: tuple) -> None:
    report, _ = broadcast_outputs
    source_frames = count_video_frames(media.broadcast)
    assert report.frames_decoded == source_frames
    assert [o.profile for o in report.outputs] == ["proxy", "web_720p", "poster"]


def test_broadcast_proxy_is_progressive_360p_with_stereo_and_the_source_duration(
    media: Media, broadcast_outputs: tuple
) -> None:
    _, out = broadcast_outputs
    source = probe(media.broadcast)
    proxy = probe(out / "proxy.mp4")
    video = proxy.video[0]
    assert video.field_order == "progressive"
    assert (video.width, video.height) == (640, 360)
    assert video.codec == "h264"
    assert proxy.audio[0].channels == 2 and proxy.audio[0].codec == "aac"
    assert abs(video.duration - source.duration) <= 1 / 25 + 1e-6
    assert count_video_frames(out / "proxy.mp4") == count_video_frames(media.broadcast)


def test_deinterlacing_removes_the_combing_of_an_interlaced_source(tmp_path: Path) -> None:
    source = generate.broadcast_clip(tmp_path / "sd.mxf", seconds=1.0, width=640, height=360, audio_tracks=0)
    kept = _render(source, ["web_720p"], tmp_path / "kept", deinterlace=False)
    fixed = _render(source, ["web_720p"], tmp_path / "fixed")
    combed = comb_ratio(first_rgb_frame(kept.outputs[0].path, 5))
    clean = comb_ratio(first_rgb_frame(fixed.outputs[0].path, 5))
    assert combed > 1.3 * clean, (combed, clean)


def test_web_720p_is_h264_high_in_an_mp4_with_faststart(broadcast_outputs: tuple) -> None:
    _, out = broadcast_outputs
    web = probe(out / "web_720p.mp4")
    assert (web.video[0].width, web.video[0].height) == (1280, 720)
    assert web.video[0].profile == "High"
    boxes = top_level_boxes(out / "web_720p.mp4")
    assert boxes.index("moov") < boxes.index("mdat")


def test_phone_proxy_is_upright_portrait_at_a_constant_frame_rate(media: Media, tmp_path: Path) -> None:
    report = _render(media.phone, ["proxy", "poster"], tmp_path)
    proxy = probe(tmp_path / "proxy.mp4")
    video = proxy.video[0]
    assert (video.display_width, video.display_height) == (360, 640)
    assert video.rotation == 0
    assert not video.variable_frame_rate
    assert generate.orientation_marker_corner(first_rgb_frame(tmp_path / "proxy.mp4")) == "top-left"
    assert abs(video.duration - probe(media.phone).duration) <= 1 / video.frame_rate + 1e-6
    assert report.outputs[1].height > report.outputs[1].width


def test_a_clip_without_audio_renders_without_an_audio_track(media: Media, tmp_path: Path) -> None:
    _render(media.silent, ["proxy"], tmp_path)
    proxy = probe(tmp_path / "proxy.mp4")
    assert proxy.video and not proxy.audio


def test_an_audio_only_source_gets_an_audio_only_proxy(media: Media, tmp_path: Path) -> None:
    report = _render(media.wav, ["proxy"], tmp_path)
    proxy = probe(tmp_path / "proxy.mp4")
    assert not proxy.video
    assert proxy.audio[0].codec == "aac" and proxy.audio[0].channels == 2
    assert abs(report.outputs[0].duration - 2.0) < 0.05


def test_the_poster_skips_a_black_opening(tmp_path: Path) -> None:
    source = black_then_picture(tmp_path / "black_open.mp4")
    report = _render(source, ["poster"], tmp_path / "out")
    import cv2

    image = cv2.imread(str(report.outputs[0].path), cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.shape == (240, 320)
    assert frame_score(image[::4, ::4]) > 0
    assert image.mean() > 40


def test_a_truncated_file_fails_with_a_reason_and_leaves_no_output(media: Media, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="truncated or corrupt"):
        _render(media.truncated, ["proxy", "poster"], tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith("encode-")]


def test_progress_rises_to_one(media: Media, tmp_path: Path) -> None:
    seen: list[float] = []
    info = probe(media.silent)
    plan = make_plan(media.silent, info, [(PROFILES["proxy"], tmp_path / "p.mp4")])
    render(plan, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 5


def test_non_square_pixels_are_corrected_to_the_display_aspect(tmp_path: Path) -> None:
    source = anamorphic_clip(tmp_path / "pal_wide.mp4")
    info = probe(source)
    assert info.video[0].sample_aspect_ratio == "64:45"
    assert (info.video[0].display_width, info.video[0].display_height) == (1024, 576)
    _render(source, ["proxy"], tmp_path / "out")
    proxy = probe(tmp_path / "out" / "proxy.mp4").video[0]
    assert (proxy.width, proxy.height) == (640, 360)
    assert proxy.sample_aspect_ratio == "1:1"


def _label_box(rgb: np.ndarray) -> np.ndarray:
    """The bottom-centre strip of a frame where the proxy's timecode box sits (about 24% x 10%), as luma."""
    gray = rgb.mean(axis=2)
    h, w = gray.shape
    return gray[int(h * 0.87) : int(h * 0.96), int(w * 0.39) : int(w * 0.61)]


def test_the_proxy_carries_a_burnt_in_timecode_that_ticks_with_the_picture(
    media: Media, broadcast_outputs: tuple
) -> None:
    _, out = broadcast_outputs
    first, later = (_label_box(first_rgb_frame(out / "proxy.mp4", n)) for n in (0, 12))
    source = _label_box(first_rgb_frame(media.broadcast, 0))
    for box in (first, later):
        assert (box < 40).mean() > 0.4  # the black box
        assert (box > 180).mean() > 0.03  # white digits on it
    assert (source < 40).mean() < 0.4  # the source has no box there
    assert np.abs(first - later).mean() > 1.0  # the digits change as the timecode runs
