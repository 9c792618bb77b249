from __future__ import annotations

from fractions import Fraction

from transcode.audiomix import audio_source as _audio_source
from transcode.mediainfo import AudioStreamInfo, MediaInfo, VideoStreamInfo
from transcode.plan import fit_box, standard_rate
from transcode.timecode import parse_timecode


def test_fit_box_keeps_display_aspect_and_even_sizes() -> None:
    assert fit_box(1920, 1080, 640, 360, follow_orientation=True, upscale=False) == (640, 360)
    assert fit_box(1024, 576, 640, 360, follow_orientation=True, upscale=False) == (640, 360)
    assert fit_box(1440, 1080, 640, 360, follow_orientation=True, upscale=False) == (480, 360)


def test_fit_box_turns_the_box_for_portrait_sources() -> None:
    assert fit_box(720, 1280, 640, 360, follow_orientation=True, upscale=False) == (360, 640)
    assert fit_box(720, 1280, 640, 360, follow_orientation=False, upscale=False) == (202, 360)


def test_fit_box_never_upscales_unless_asked() -> None:
    assert fit_box(320, 240, 1280, 720, follow_orientation=True, upscale=False) == (320, 240)
    assert fit_box(320, 240, 1280, 720, follow_orientation=True, upscale=True) == (960, 720)


def test_standard_rate_snaps_phone_rates_to_broadcast_rates() -> None:
    assert standard_rate(29.87) == Fraction(30000, 1001)
    assert standard_rate(25.0) == 25
    assert standard_rate(59.9) == Fraction(60000, 1001)


def _info(*audio: AudioStreamInfo) -> MediaInfo:
    return MediaInfo(
        container="mxf",
        duration=1.0,
        size=1,
        audio=list(audio),
        video=[
            VideoStreamInfo(
                index=0,
                codec="mpeg2video",
                width=1920,
                height=1080,
                display_aspect_ratio="16:9",
                display_width=1920,
                display_height=1080,
                frame_rate=25.0,
                frame_rate_fraction="25/1",
                field_order="tff",
            )
        ],
    )


def _track(index: int, channels: int) -> AudioStreamInfo:
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    return AudioStreamInfo(index=index, codec="pcm_s24le", sample_rate=48000, channels=channels, channel_layout=layout)


def test_two_or_more_mono_tracks_become_left_and_right() -> None:
    source = _audio_source(_info(_track(1, 1), _track(2, 1), _track(3, 1), _track(4, 1)))
    assert source is not None and source.mode == "pair" and source.stream_indexes == (1, 2)


def test_a_single_mono_track_feeds_both_channels_and_multichannel_is_downmixed() -> None:
    mono = _audio_source(_info(_track(1, 1)))
    surround = _audio_source(_info(_track(1, 6), _track(2, 2)))
    assert mono is not None and mono.mode == "mono"
    assert surround is not None and surround.mode == "downmix" and surround.stream_indexes == (1,)
    assert _audio_source(_info()) is None


def test_timecode_counts_frames_from_the_start_label() -> None:
    tc = parse_timecode("10:00:00:00", 25)
    assert tc.at_seconds(0) == "10:00:00:00"
    assert tc.at_seconds(1.2) == "10:00:01:05"
    assert tc.at_seconds(3600) == "11:00:00:00"
    assert parse_timecode("23:59:59:24", 25).at_seconds(0.04) == "00:00:00:00"
