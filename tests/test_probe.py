"""probe() describes generated media correctly and refuses what is not media we accept."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import av
import hostile_media
import pytest

from transcode import generate
from transcode.errors import ForbiddenInputError, MediaLimitError, TranscodeError, UnreadableMediaError
from transcode.mediainfo import MediaInfo
from transcode.probe import DEFAULT_ALLOWED_FORMATS, ProbeLimits, probe


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("probe")


@pytest.fixture(scope="module")
def broadcast(media: Path) -> Path:
    return generate.broadcast_clip(media / "news_1080i50.mxf", seconds=2.0)  # full 1920x1080


@pytest.fixture(scope="module")
def phone(media: Path) -> Path:
    return generate.phone_clip(media / "phone.mp4", seconds=2.0)


def test_broadcast_clip_probes_as_1080i50_mxf_with_four_mono_pcm_tracks_and_timecode(broadcast: Path) -> None:
    info = probe(broadcast)
    assert info.container == "mxf" and info.kind == "video"
    assert info.start_timecode == "10:00:00:00"
    assert abs(info.duration - 2.0) <= 0.04
    assert info.size == broadcast.stat().st_size and info.bit_rate and info.bit_rate > 45_000_000
    (video,) = info.video
    assert (video.codec, video.profile, video.pixel_format) == ("mpeg2video", "4:2:2", "yuv422p")
    assert (video.width, video.height, video.display_width, video.display_height) == (1920, 1080, 1920, 1080)
    assert (video.sample_aspect_ratio, video.display_aspect_ratio, video.rotation) == ("1:1", "16:9", 0)
    assert (video.frame_rate, video.frame_rate_fraction, video.variable_frame_rate) == (25.0, "25/1", False)
    assert video.field_order == "tff" and video.interlaced
    assert video.frame_count == 50
    assert len(info.audio) == 4 and info.audio_channels == 4
    for track in info.audio:
        assert (track.codec, track.sample_rate, track.channels, track.channel_layout) == (
            "pcm_s24le",
            48000,
            1,
            "mono",
        )
        assert track.duration is not None and abs(track.duration - 2.0) <= 0.04


def test_probe_is_demux_only_and_fast_on_a_50_mbps_clip(broadcast: Path) -> None:
    started = time.monotonic()
    probe(broadcast)
    assert time.monotonic() - started < 1.0


def test_phone_clip_probes_rotated_90_clockwise_portrait_vfr_with_aac_stereo(phone: Path) -> None:
    info = probe(phone)
    assert info.container.split(",")[0] == "mov"
    (video,) = info.video
    assert (video.width, video.height) == (1280, 720)
    assert video.rotation == 90
    assert (video.display_width, video.display_height) == (720, 1280)
    assert video.variable_frame_rate
    assert video.frame_rate == 30.0  # the commonest spacing, not the 25 fps average
    assert video.field_order == "progressive"
    (audio,) = info.audio
    assert (audio.codec, audio.channels, audio.channel_layout, audio.sample_rate) == (
        "aac",
        2,
        "stereo",
        48000,
    )
    assert abs(info.duration - 2.0) <= 0.05


@pytest.mark.parametrize(("rotation", "display"), [(0, (320, 176)), (180, (320, 176)), (270, (176, 320))])
def test_rotation_is_reported_clockwise_and_display_size_is_upright(
    tmp_path: Path, rotation: int, display: tuple[int, int]
) -> None:
    clip = generate.phone_clip(tmp_path / "p.mp4", seconds=0.5, width=320, height=176, rotation=rotation)
    (video,) = probe(clip).video
    assert video.rotation == rotation
    assert (video.display_width, video.display_height) == display


def test_constant_rate_phone_clip_is_not_variable_frame_rate(tmp_path: Path) -> None:
    clip = generate.phone_clip(tmp_path / "cfr.mp4", seconds=1.0, width=320, height=176, variable_frame_rate=False)
    (video,) = probe(clip).video
    assert not video.variable_frame_rate
    assert video.frame_rate_fraction == "30/1"


def test_long_clip_with_b_frames_scanned_part_way_is_not_mistaken_for_vfr(tmp_path: Path) -> None:
    clip = generate.silent_clip(tmp_path / "long.mp4", seconds=16.0, width=160, height=96)  # 400 frames > scan
    (video,) = probe(clip).video
    assert not video.variable_frame_rate
    assert (video.frame_rate, video.frame_count) == (25.0, 400)


def test_silent_clip_probes_with_video_and_no_audio(tmp_path: Path) -> None:
    info = probe(generate.silent_clip(tmp_path / "b-roll.mp4", seconds=1.0, width=320, height=240))
    assert info.audio == [] and info.audio_channels == 0
    assert info.kind == "video"
    assert info.video[0].field_order == "progressive" and info.video[0].display_aspect_ratio == "4:3"


@pytest.mark.parametrize(("name", "codec"), [("radio.wav", "pcm_s16le"), ("radio.mp3", "mp3"), ("radio.m4a", "aac")])
def test_audio_file_probes_as_kind_audio(tmp_path: Path, name: str, codec: str) -> None:
    info = probe(generate.audio_clip(tmp_path / name, seconds=1.0, channels=2))
    assert info.kind == "audio" and info.video == []
    (audio,) = info.audio
    assert (audio.codec, audio.channels, audio.channel_layout, audio.sample_rate) == (
        codec,
        2,
        "stereo",
        48000,
    )
    assert abs(info.duration - 1.0) < 0.1


def test_timecode_is_read_from_a_quicktime_tmcd_track(tmp_path: Path) -> None:
    clip = generate.silent_clip(tmp_path / "b-roll.mp4", seconds=1.0, width=320, height=240)
    target = tmp_path / "tc.mov"
    with av.open(str(clip)) as source, av.open(str(target), "w") as out:
        out.metadata["timecode"] = "01:02:03:04"  # the mov muxer writes it as a tmcd track
        copy = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = copy
                out.mux(packet)
    with av.open(str(target)) as written:
        assert [s.type for s in written.streams] == ["video", "data"]
        assert "timecode" not in written.metadata
    assert probe(target).start_timecode == "01:02:03:04"


def test_video_that_is_not_the_first_stream_is_still_scanned(tmp_path: Path, phone: Path) -> None:
    target = tmp_path / "audio_first.mkv"
    with av.open(str(phone)) as source, av.open(str(target), "w") as out:
        copies = {s.index: out.add_stream_from_template(s) for s in (source.streams.audio[0], source.streams.video[0])}
        for packet in source.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                out.mux(packet)
    info = probe(target)
    assert [v.index for v in info.video] == [1] and [a.index for a in info.audio] == [0]
    assert info.video[0].variable_frame_rate and info.video[0].rotation == 90


def test_garbage_raises_unreadable_media_error_that_names_the_file(tmp_path: Path) -> None:
    garbage = generate.corrupt_file(tmp_path / "holiday.mp4", kind="garbage")
    with pytest.raises(UnreadableMediaError) as caught:
        probe(garbage)
    message = str(caught.value)
    assert "holiday.mp4" in message and "not a media file we can read" in message
    assert isinstance(caught.value, TranscodeError)


def test_truncated_file_still_probes_from_its_header(tmp_path: Path) -> None:
    source = generate.silent_clip(tmp_path / "full.mp4", seconds=2.0, width=320, height=240)
    info = probe(generate.corrupt_file(tmp_path / "cut.mp4", kind="truncated", source=source))
    assert isinstance(info, MediaInfo) and info.video[0].width == 320


def test_b_frames_cut_off_by_truncation_do_not_look_like_variable_frame_rate(tmp_path: Path) -> None:
    data = generate.silent_clip(tmp_path / "full.mp4", seconds=2.0, width=320, height=240).read_bytes()
    for percent in range(30, 100, 5):
        cut = tmp_path / f"cut{percent}.mp4"
        cut.write_bytes(data[: len(data) * percent // 100])
        (video,) = probe(cut).video
        assert not video.variable_frame_rate, f"cut at {percent}%"


def test_missing_file_raises_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "nothing-here.mxf")


def test_directory_raises_unreadable_media_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableMediaError, match="not a regular file"):
        probe(tmp_path)


def _never_opened(tmp_path: Path, listing: str, name: str) -> None:
    """Probe a list file naming a FIFO: opening the FIFO would block, so the probe must return at once."""
    fifo = tmp_path / "segment.ts"
    os.mkfifo(fifo)
    listing_file = tmp_path / name
    listing_file.write_text(listing.format(fifo=fifo, name=fifo.name))
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            probe(listing_file)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # it opened the FIFO: release it before failing
        with open(fifo, "wb"):
            pass
        worker.join(timeout=10)
        pytest.fail(f"probe opened {fifo.name} named inside {name}")
    assert len(outcome) == 1 and isinstance(outcome[0], ForbiddenInputError | UnreadableMediaError), outcome


def test_hls_playlist_is_refused_without_opening_its_segments(tmp_path: Path) -> None:
    playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{fifo}\n#EXT-X-ENDLIST\n"
    _never_opened(tmp_path, playlist, "live.m3u8")
    with pytest.raises(ForbiddenInputError, match="not accepted"):
        probe(tmp_path / "live.m3u8")


def test_concat_list_is_refused_without_opening_the_files_it_names(tmp_path: Path) -> None:
    # a relative name: ffconcat's safe mode would refuse an absolute path by itself
    _never_opened(tmp_path, "ffconcat version 1.0\nfile '{name}'\n", "list.ffconcat")


def test_plain_text_list_is_not_media(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("file '/etc/hostname'\nfile '/etc/passwd'\n")
    with pytest.raises((ForbiddenInputError, UnreadableMediaError)):
        probe(listing)


def test_still_image_is_refused_as_a_forbidden_format(tmp_path: Path) -> None:
    image = tmp_path / "poster.png"
    av.VideoFrame(64, 64, "rgb24").save(image)
    with pytest.raises(ForbiddenInputError):
        probe(image)


def test_allow_list_can_be_narrowed_per_call(tmp_path: Path) -> None:
    wav = generate.audio_clip(tmp_path / "radio.wav", seconds=0.5)
    assert probe(wav, allowed_formats=frozenset({"wav"})).kind == "audio"
    with pytest.raises(ForbiddenInputError):
        probe(wav, allowed_formats=frozenset({"mxf", "mov"}))
    assert {"hls", "concat", "image2", "lavfi", "tee", "data"}.isdisjoint(DEFAULT_ALLOWED_FORMATS)


# --- damaged and hostile files (hostile_media builds them) -------------------------------------------------


@pytest.fixture(scope="module")
def clips(media: Path) -> list[Path]:
    return hostile_media.sources(media / "sources")


def test_damaged_files_get_a_plain_reason_and_never_a_python_error(clips: list[Path], tmp_path: Path) -> None:
    refused = 0
    for mutant in hostile_media.mutants(clips, tmp_path, count=240, seed=7):
        try:
            info = probe(mutant)
        except (UnreadableMediaError, ForbiddenInputError, MediaLimitError) as exc:
            refused += 1
            assert mutant.name in str(exc) and not hostile_media.PYTHON_ERROR.search(str(exc)), str(exc)
            continue
        for video in info.video:  # what is accepted can be planned: a size, a sane duration
            assert video.width > 0 and video.height > 0 and video.display_width > 0
        assert 0 <= info.duration <= 24 * 3600
    assert refused > 0  # the campaign did damage some files


def test_a_wav_that_says_it_has_no_channels_is_refused_in_plain_words(tmp_path: Path) -> None:
    data = bytearray(generate.audio_clip(tmp_path / "radio.wav", seconds=0.5).read_bytes())
    fmt = data.find(b"fmt ")
    data[fmt + 10 : fmt + 12] = b"\0\0"  # channel count
    damaged = tmp_path / "no-channels.wav"
    damaged.write_bytes(bytes(data))
    with pytest.raises(UnreadableMediaError, match=r"no-channels.wav: its audio stream 0 has no channels"):
        probe(damaged)


def test_a_picture_whose_headers_claim_30000_square_has_no_size_and_is_refused(tmp_path: Path) -> None:
    bomb = hostile_media.picture_bomb(tmp_path / "huge.mov", 30000)
    with pytest.raises(UnreadableMediaError, match=r"huge.mov: the picture of its video stream 0 has no size \(0×0\)"):
        probe(bomb)


def test_a_picture_beyond_the_limit_is_refused_and_the_limit_can_be_set(tmp_path: Path) -> None:
    bomb = hostile_media.picture_bomb(tmp_path / "big.mov", 12000)
    with pytest.raises(MediaLimitError, match=r"12000×12000, larger than the 8192 pixels accepted on the long side"):
        probe(bomb)
    with pytest.raises(MediaLimitError, match=r"larger than the 4096 pixels"):
        probe(bomb, limits=ProbeLimits(max_picture_side=4096))
    assert probe(bomb, limits=ProbeLimits(max_picture_side=12000)).video[0].width == 12000


def test_a_declared_duration_beyond_the_cap_gives_way_to_what_the_streams_show(tmp_path: Path) -> None:
    info = probe(hostile_media.duration_bomb(tmp_path / "claims-3-years.mkv", seconds=2.0))
    assert abs(info.duration - 2.0) < 0.1 and info.measured_duration is not None
    assert abs(info.measured_duration - 2.0) < 0.1
    (video,) = info.video
    assert video.frame_count == 50 and video.duration is not None and video.duration <= 2.1


def test_the_end_of_a_long_file_is_read_through_its_index(tmp_path: Path) -> None:
    info = probe(hostile_media.duration_bomb(tmp_path / "long-claims-3-years.mkv", seconds=20.0))  # 500 > scan
    assert abs(info.duration - 20.0) < 0.1 and info.measured_duration is not None


def test_a_file_longer_than_the_cap_is_refused_with_the_limit(tmp_path: Path) -> None:
    clip = generate.silent_clip(tmp_path / "two-seconds.mp4", seconds=2.0, width=160, height=96)
    with pytest.raises(MediaLimitError, match=r"two-seconds.mp4: .* more than the 1 s accepted"):
        probe(clip, limits=ProbeLimits(max_duration=1.0))


def test_a_truncated_file_keeps_its_declared_duration_beside_what_its_streams_hold(tmp_path: Path) -> None:
    source = generate.silent_clip(tmp_path / "full.mp4", seconds=2.0, width=320, height=240)
    info = probe(generate.corrupt_file(tmp_path / "cut.mp4", kind="truncated", source=source))
    assert abs(info.duration - 2.0) < 0.05  # so that its render stops short and says the file is truncated
    assert info.measured_duration is not None and info.measured_duration < 1.5
