"""The transcode engine on messy real footage: every channel's rendition, from one decode, checked."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import Media
from mediacheck import (
    comb_ratio,
    count_video_frames,
    decode_audio,
    dominant_frequency,
    first_rgb_frame,
    frame_numbers,
    numbered_clip,
    remux,
)

from transcode import generate
from transcode.errors import OutputCheckError, SpanError
from transcode.loudness import measure_programme
from transcode.pipeline import JobResult, make_renditions
from transcode.plan import make_plan, make_span
from transcode.probe import probe
from transcode.profiles import Profile, load_profile, load_profiles
from transcode.verify import verify_output

PROFILES = load_profiles()


def _make(source: Path, names: list[str], out: Path, profiles: dict[str, Profile] | None = None) -> JobResult:
    chosen = [(profiles or PROFILES)[n] for n in names]
    return make_renditions(source, probe(source), [(p, p.output_path(out)) for p in chosen])


@pytest.fixture(scope="module")
def broadcast_hd(media: Media, tmp_path_factory: pytest.TempPathFactory) -> tuple[JobResult, Path]:
    out = tmp_path_factory.mktemp("broadcast_hd")
    return _make(media.broadcast, ["broadcast_hd"], out), out / "broadcast_hd.mxf"


def test_broadcast_hd_is_xdcam_style_mxf_keeping_the_source_fields_and_timecode(broadcast_hd: tuple) -> None:
    _, path = broadcast_hd
    info = probe(path)
    video = info.video[0]
    assert info.container == "mxf"
    assert (video.codec, video.pixel_format, video.width, video.height) == ("mpeg2video", "yuv422p", 1920, 1080)
    assert (video.field_order, video.frame_rate) == ("tff", 25.0)
    assert video.bit_rate is None or video.bit_rate >= 45_000_000
    assert info.start_timecode == "10:00:00:00"


def test_broadcast_hd_maps_source_tracks_in_order_and_pads_with_silent_tracks(broadcast_hd: tuple) -> None:
    _, path = broadcast_hd
    info = probe(path)
    assert [(a.codec, a.channels, a.sample_rate) for a in info.audio] == [("pcm_s24le", 1, 48000)] * 8
    for track in range(4):
        samples, rate = decode_audio(path, track)
        assert dominant_frequency(samples[0], rate) == pytest.approx(generate.broadcast_track_frequency(track), abs=2)
    for track in range(4, 8):
        samples, _ = decode_audio(path, track)
        assert np.abs(samples).max() == 0


def test_broadcast_hd_lands_on_minus_24_lkfs_and_records_before_and_after(broadcast_hd: tuple) -> None:
    result, path = broadcast_hd
    assert result.loudness_before is not None and result.loudness_before.integrated > -20
    after = measure_programme(path, probe(path))
    assert after is not None and after.integrated == pytest.approx(-24.0, abs=0.5)
    assert after.true_peak <= -2.0 + 0.5
    summary = result.summary()
    assert summary["checks"][0]["loudness"]["integrated"] == pytest.approx(-24.0, abs=0.5)


def test_a_50p_source_is_woven_into_fields_from_successive_pictures(tmp_path: Path) -> None:
    fifty = generate.silent_clip(tmp_path / "p50.mp4", seconds=1.0, width=640, height=360, fps=50)
    twenty_five = generate.silent_clip(tmp_path / "p25.mp4", seconds=1.0, width=640, height=360, fps=25)
    plan50 = make_plan(fifty, probe(fifty), [(PROFILES["broadcast_hd"], tmp_path / "a.mxf")])
    plan25 = make_plan(twenty_five, probe(twenty_five), [(PROFILES["broadcast_hd"], tmp_path / "b.mxf")])
    assert (plan50.outputs[0].interlace, plan25.outputs[0].interlace) == ("weave", "psf")
    woven = _make(fifty, ["broadcast_hd"], tmp_path / "w").checks[0]
    repeated = _make(twenty_five, ["broadcast_hd"], tmp_path / "r").checks[0]
    assert woven.info is not None and woven.info.video[0].field_order == "tff"
    assert repeated.info is not None and repeated.info.video[0].field_order == "tff"
    combed = comb_ratio(first_rgb_frame(tmp_path / "w" / "broadcast_hd.mxf", 10))
    clean = comb_ratio(first_rgb_frame(tmp_path / "r" / "broadcast_hd.mxf", 10))
    assert combed > 1.2 * clean, (combed, clean)
    assert count_video_frames(tmp_path / "w" / "broadcast_hd.mxf") == 25


def test_a_portrait_vfr_phone_clip_becomes_pillarboxed_25i_of_the_same_length(media: Media, tmp_path: Path) -> None:
    result = _make(media.phone, ["broadcast_hd"], tmp_path)
    out = tmp_path / "broadcast_hd.mxf"
    assert result.checks[0].info is not None
    assert abs(result.checks[0].info.video[0].duration - probe(media.phone).duration) <= 1 / 25 + 1e-6
    picture = first_rgb_frame(out, 12)
    assert picture[:, :200].max() < 40 and picture[:, -200:].max() < 40  # black bars either side
    assert generate.orientation_marker_corner(picture[:, 656:1264]) == "top-left"


def test_every_video_profile_comes_from_one_decode(media: Media, tmp_path: Path) -> None:
    names = [n for n, p in PROFILES.items() if p.applies("video")]
    result = _make(media.broadcast, names, tmp_path)
    assert result.report.frames_decoded == count_video_frames(media.broadcast)
    assert {c.profile for c in result.checks} == set(names)


def _variant(name: str, fit: str, tmp_path: Path) -> dict[str, Profile]:
    base = PROFILES["vertical"]
    assert base.video is not None
    text = (Path(__file__).resolve().parent.parent / "profiles" / "vertical.toml").read_text(encoding="utf-8")
    path = tmp_path / f"{name}.toml"
    path.write_text(
        text.replace('name = "vertical"', f'name = "{name}"').replace('fit = "blur_pad"', f'fit = "{fit}"'),
        encoding="utf-8",
    )
    return {name: load_profile(path)}


def test_vertical_crop_fills_the_frame_and_blur_pad_shows_the_whole_picture_over_a_blur(tmp_path: Path) -> None:
    source = generate.silent_clip(tmp_path / "wide.mp4", seconds=1.0, width=640, height=360)
    crop = _make(source, ["vertical_crop"], tmp_path / "c", _variant("vertical_crop", "crop", tmp_path))
    pad = _make(source, ["vertical_pad"], tmp_path / "p", _variant("vertical_pad", "blur_pad", tmp_path))
    for result in (crop, pad):
        info = result.checks[0].info
        assert info is not None and (info.video[0].width, info.video[0].height) == (1080, 1920)
    cropped = cv2.cvtColor(first_rgb_frame(tmp_path / "c" / "vertical_crop.mp4", 5), cv2.COLOR_RGB2GRAY)
    padded = cv2.cvtColor(first_rgb_frame(tmp_path / "p" / "vertical_pad.mp4", 5), cv2.COLOR_RGB2GRAY)
    assert cropped[:100].mean() > 30 and cropped[-100:].mean() > 30  # no bars: the picture fills the frame
    top, middle = padded[:500], padded[700:1200]
    assert top.mean() > 20  # a fill, not black bars

    def detail(a: np.ndarray) -> float:
        return float(cv2.Laplacian(a, cv2.CV_32F).var())

    assert detail(middle) > 3 * detail(top)  # the sharp picture sits on a blurred copy


def test_radio_is_mp3_48k_stereo_at_its_loudness_target(media: Media, tmp_path: Path) -> None:
    result = _make(media.wav, ["radio"], tmp_path)
    info = probe(tmp_path / "radio.mp3")
    assert [(a.codec, a.sample_rate, a.channels) for a in info.audio] == [("mp3", 48000, 2)]
    assert not info.video
    loud = result.checks[0].loudness
    assert loud is not None and loud.integrated == pytest.approx(-23.0, abs=1.0) and loud.true_peak <= 0.0


def test_a_mono_source_feeds_both_channels_equally(tmp_path: Path) -> None:
    source = generate.audio_clip(tmp_path / "mono.wav", seconds=2.0, channels=1)
    _make(source, ["radio"], tmp_path)
    samples, _ = decode_audio(tmp_path / "radio.mp3")
    left, right = samples
    assert np.corrcoef(left, right)[0, 1] > 0.99
    assert np.sqrt((left**2).mean()) == pytest.approx(np.sqrt((right**2).mean()), rel=0.05)


def test_a_5_1_source_is_downmixed_to_stereo_at_the_target(tmp_path: Path) -> None:
    source = generate.audio_clip(tmp_path / "surround.wav", seconds=2.0, channels=6)
    assert probe(source).audio[0].channels == 6
    result = _make(source, ["radio"], tmp_path)
    assert result.checks[0].info is not None and result.checks[0].info.audio[0].channels == 2
    assert result.checks[0].loudness is not None
    assert result.checks[0].loudness.integrated == pytest.approx(-23.0, abs=1.0)


@pytest.mark.parametrize(
    ("suffix", "format_name", "start"), [(".ts", "mpegts", 10.0), (".mkv", "matroska", 3.0), (".mov", "mov", 0.0)]
)
def test_other_containers_and_a_late_start_render_from_zero(
    media: Media, tmp_path: Path, suffix: str, format_name: str, start: float
) -> None:
    source = remux(media.phone, tmp_path / f"source{suffix}", format_name, start_seconds=start)
    info = probe(source)
    assert info.start_time == pytest.approx(start, abs=0.1)
    result = _make(source, ["proxy"], tmp_path / "out")
    proxy = result.checks[0].info
    assert proxy is not None and proxy.start_time == pytest.approx(0.0, abs=0.05)
    assert abs(proxy.video[0].duration - info.video[0].duration) <= 1 / proxy.video[0].frame_rate + 1e-6


def test_web_renditions_are_normalised_in_two_passes_to_minus_16(media: Media, tmp_path: Path) -> None:
    result = _make(media.phone, ["web_720p", "web_1080p"], tmp_path)
    assert result.loudness_before is not None
    assert result.loudness_before.integrated == pytest.approx(-14.7, abs=1.0)
    for check in result.checks:
        assert check.loudness is not None and check.loudness.integrated == pytest.approx(-16.0, abs=1.0)
        assert check.loudness.true_peak <= -1.0 + 1.0


def test_an_output_that_does_not_match_its_profile_is_refused(media: Media, tmp_path: Path) -> None:
    info = probe(media.silent)
    plan = make_plan(media.silent, info, [(PROFILES["web_720p"], tmp_path / "web_720p.mp4")])
    _make(media.silent, ["web_720p"], tmp_path)
    out = plan.outputs[0]
    assert out.geometry is not None
    wrong = dataclasses.replace(out, geometry=dataclasses.replace(out.geometry, width=1280, height=720))
    with pytest.raises(OutputCheckError, match="picture is 640x360, not 1280x720"):
        verify_output(wrong, info.duration)
    with pytest.raises(OutputCheckError, match="lasts"):
        verify_output(out, info.duration + 1.0)


@pytest.mark.parametrize(("start", "end", "first", "last"), [(0.4, 1.2, 10, 29), ("00:00:00:07", "00:00:01:13", 7, 37)])
def test_a_sub_clip_holds_exactly_the_frames_from_in_to_out(
    tmp_path: Path, start: float | str, end: float | str, first: int, last: int
) -> None:
    source = numbered_clip(tmp_path / "numbered.mp4")
    info = probe(source)
    span = make_span(info, start, end)
    result = make_renditions(source, info, [(PROFILES["web_720p"], tmp_path / "cut.mp4")], span=span)
    assert frame_numbers(tmp_path / "cut.mp4") == list(range(first, last + 1))
    assert result.checks[0].info is not None
    assert result.checks[0].info.video[0].duration == pytest.approx((last - first + 1) / 25, abs=1e-6)


def test_a_sub_clip_carries_the_timecode_of_its_in_point(media: Media, tmp_path: Path) -> None:
    info = probe(media.broadcast)
    span = make_span(info, "10:00:00:12", "10:00:01:12")
    result = make_renditions(media.broadcast, info, [(PROFILES["broadcast_hd"], tmp_path / "b.mxf")], span=span)
    out = result.checks[0].info
    assert out is not None and out.start_timecode == "10:00:00:12"
    assert [round(a.duration or 0, 3) for a in out.audio[:2]] == [1.0, 1.0]


def test_a_sub_clip_outside_the_source_is_refused(media: Media) -> None:
    info = probe(media.silent)
    with pytest.raises(SpanError, match="not inside"):
        make_span(info, 1.5, 9.0)
    with pytest.raises(SpanError, match="not a timecode"):
        make_span(info, "ten past", None)


def test_the_hls_ladder_has_fixed_segments_with_keyframes_aligned_across_rungs(tmp_path: Path) -> None:
    from transcode.verify_hls import read_master, read_variant

    source = generate.silent_clip(tmp_path / "b-roll.mp4", seconds=9.0, width=1280, height=720)
    profile = PROFILES["hls"]
    result = _make(source, ["hls"], tmp_path / "out")
    master = profile.output_path(tmp_path / "out")
    variants, audio = read_master(master)
    assert [size for size, _ in variants] == ["1280x720", "854x480", "640x360"]  # no rung above the source
    assert audio is None  # the source has no sound
    import av

    keyframes = []
    for _, playlist in variants:
        variant = read_variant(playlist)
        assert [round(length, 3) for length, _ in variant.segments] == [4.0, 4.0, 1.0]
        with av.open(str(variant.joined(tmp_path))) as joined:
            stream = joined.streams.video[0]
            keys = [
                round(float(p.pts * p.time_base), 3)
                for p in joined.demux(stream)
                if p.is_keyframe and p.pts is not None
            ]
        keyframes.append(keys)
    assert all(keys == keyframes[0] for keys in keyframes)  # the same instants in every rung
    assert [round(b - a, 3) for a, b in zip(keyframes[0], keyframes[0][1:], strict=False)] == [2.0] * 4
    assert result.report.outputs[0].size == sum(p.stat().st_size for p in master.parent.rglob("*") if p.is_file())


def test_an_odd_sized_source_gives_even_sized_renditions(tmp_path: Path) -> None:
    import av
    import av.filter

    source = tmp_path / "odd.mp4"
    graph = av.filter.Graph()
    picture = graph.add("testsrc2", "size=641x361:rate=25:duration=1")
    sink = graph.add("buffersink")
    picture.link_to(sink)
    graph.configure()
    with av.open(str(source), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 641, 361, "yuv444p"
        while True:
            try:
                frame = sink.pull()
            except av.error.EOFError:
                break
            out.mux(stream.encode(frame.reformat(format="yuv444p")))
        out.mux(stream.encode(None))
    assert (probe(source).video[0].width, probe(source).video[0].height) == (641, 361)
    result = _make(source, ["proxy", "web_720p"], tmp_path / "out")
    for check in result.checks:
        assert check.info is not None
        video = check.info.video[0]
        assert video.width % 2 == 0 and video.height % 2 == 0 and video.pixel_format == "yuv420p"
        assert video.width / video.height == pytest.approx(641 / 361, rel=0.01)


def _bff_clip(path: Path) -> Path:
    """1 s of 25i bottom field first: each frame weaves the bottom field of one 50p picture with the
    top field of the next (what some HDV and DV cameras record)."""
    import av
    import av.filter

    graph = av.filter.Graph()
    steps = [
        ("testsrc2", "size=720x576:rate=50:duration=1"),
        ("format", "yuv422p"),
        ("setfield", "bff"),
        ("separatefields", ""),
        ("select", "eq(mod(n,4),0)+eq(mod(n,4),3)"),
        ("weave", "first_field=bottom"),
        ("setfield", "bff"),
        ("buffersink", ""),
    ]
    nodes = [graph.add(name, args) if args else graph.add(name) for name, args in steps]
    for a, b in itertools.pairwise(nodes):
        a.link_to(b)
    graph.configure()
    with av.open(str(path), "w", format="mov") as out:
        stream = out.add_stream("mpeg2video", rate=25, options={"flags": "+ildct+ilme", "b": "8000000"})
        stream.width, stream.height, stream.pix_fmt = 720, 576, "yuv422p"
        stream.codec_context.field_order = 3  # AV_FIELD_BB
        while True:
            try:
                frame = nodes[-1].pull()
            except av.error.EOFError:
                break
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_a_bottom_field_first_source_keeps_its_fields_and_becomes_top_field_first(tmp_path: Path) -> None:
    source = _bff_clip(tmp_path / "bff.mov")
    info = probe(source)
    assert info.video[0].field_order == "bff"
    plan = make_plan(source, info, [(PROFILES["broadcast_hd"], tmp_path / "b.mxf")])
    assert plan.outputs[0].interlace == "native"
    result = _make(source, ["broadcast_hd"], tmp_path / "out")
    assert result.checks[0].info is not None and result.checks[0].info.video[0].field_order == "tff"
    assert count_video_frames(tmp_path / "out" / "broadcast_hd.mxf") == 25
