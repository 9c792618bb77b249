from __future__ import annotations

from fractions import Fraction

import pytest

from transcode.audiomix import audio_source as _audio_source
from transcode.errors import SpanError
from transcode.mediainfo import AudioStreamInfo, MediaInfo, VideoStreamInfo
from transcode.plan import Span, fit_box, make_span, standard_rate
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


def _clip(duration: float = 12.0, timecode: str | None = "10:00:00:00") -> MediaInfo:
    return _info().model_copy(update={"duration": duration, "start_timecode": timecode})


def test_a_span_is_read_from_seconds_numeric_text_and_the_clip_s_own_timecode() -> None:
    assert make_span(_clip(), 1.0, "2.5") == Span(1.0, 2.5)
    assert make_span(_clip(), "10:00:01:00", "10:00:02:12") == Span(1.0, 2.48)
    assert make_span(_clip(timecode=None), "00:00:00:05", None) == Span(0.2, 12.0)
    assert make_span(_clip(), None, None) is None


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("10:00:99:00", None, "its seconds must be below 60"),
        ("10:61:00:00", None, "its minutes must be below 60"),
        ("10:00:01:25", None, "at 25 frames/s: its frames must be below 25"),
        ("24:00:00:00", None, "its hours must be below 24"),
        ("ten seconds", None, "not a timecode"),
        (3.0, 2.0, "the in-point (3.000 s) must come before the out-point (2.000 s)"),
        ("10:00:02:00", "10:00:02:00", "must come before the out-point (10:00:02:00)"),
        (1.5, 90, "is not inside the source"),
        ("09:59:59:00", None, "before the clip's first timecode"),
        (-1, None, "not a point in the source"),
        (float("nan"), None, "not a point in the source"),
    ],
)
def test_a_point_no_clock_shows_or_a_span_outside_the_clip_is_refused_saying_the_valid_range(
    start: float | str, end: float | str | None, says: str
) -> None:
    with pytest.raises(SpanError) as refused:
        make_span(_clip(), start, end)
    assert says in str(refused.value)
    assert "the source runs from 10:00:00:00 to 10:00:12:00 (0 to 12.000 s)" in str(refused.value)


def test_a_file_s_own_timecode_label_is_read_as_it_is_and_a_person_s_is_checked() -> None:
    assert parse_timecode("00:00:00:30", 25).frames == 30  # a label a file carries: never refused
    with pytest.raises(SpanError, match="frames must be below 25"):
        parse_timecode("00:00:00:30", 25, strict=True)
    assert make_span(_clip(timecode="10:00:00:99"), 1.0, 2.0) == Span(1.0, 2.0)  # unreadable: counted from zero
