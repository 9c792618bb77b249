"""The synthetic media generator makes what it promises: checked with PyAV and the ffmpeg binary."""

from __future__ import annotations

import itertools
import re
import subprocess
import time
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest
from av.audio.stream import AudioStream

from transcode import generate
from transcode.errors import RenderError

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_log(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FFMPEG, "-hide_banner", "-nostdin", *args], capture_output=True, text=True, timeout=60)


def upright_first_frame(path: Path, width: int, height: int) -> np.ndarray:
    """The first picture as the ffmpeg binary shows it (it applies the display matrix)."""
    done = subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-nostdin",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert len(done.stdout) == width * height * 3, f"decoded size is not {width}x{height}"
    return np.frombuffer(done.stdout, np.uint8).reshape(height, width, 3)


@pytest.fixture(scope="module")
def broadcast(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate.broadcast_clip(tmp_path_factory.mktemp("gen") / "news.mxf", seconds=2.0, width=640, height=360)


def test_broadcast_clip_is_coded_interlaced_and_ffmpeg_sees_top_field_first_motion(broadcast: Path) -> None:
    with av.open(str(broadcast)) as container:
        assert container.format.name == "mxf"
        video = container.streams.video[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("mpeg2video", "yuv422p")
        assert all(frame.interlaced_frame for frame in container.decode(video))
    # idet compares the two fields of each frame: they must differ in time, the top one first
    log = ffmpeg_log("-i", str(broadcast), "-vf", "idet", "-an", "-f", "null", "-").stderr
    found = re.findall(r"Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+)", log)
    tff, bff, progressive = map(int, found[-1])
    assert tff >= 45 and bff == 0 and progressive == 0


def test_broadcast_clip_audio_tracks_are_mono_tones_at_distinct_frequencies(broadcast: Path) -> None:
    with av.open(str(broadcast)) as container:
        tracks = list(container.streams.audio)
        assert [(t.codec_context.name, t.channels, t.sample_rate) for t in tracks] == [("pcm_s24le", 1, 48000)] * 4
        sound: dict[int, list[np.ndarray]] = {t.index: [] for t in tracks}
        for packet in container.demux(*tracks):
            if packet.stream_index in sound:  # MXF hands out the video packets too
                sound[packet.stream_index] += [f.to_ndarray().ravel() for f in packet.decode()]
    for k, chunks in enumerate(sound.values()):  # in stream order
        samples = np.concatenate(chunks).astype(float)
        assert len(samples) == 2 * 48000
        peak = np.argmax(np.abs(np.fft.rfft(samples))) * 48000 / len(samples)
        assert abs(peak - generate.broadcast_track_frequency(k)) < 2


def test_broadcast_clip_has_one_hard_cut_in_the_middle(broadcast: Path) -> None:
    with av.open(str(broadcast)) as container:
        pictures = [f.to_ndarray(format="gray", width=160, height=90).astype(float) for f in container.decode(video=0)]
    changes = [float(np.abs(b - a).mean()) for a, b in itertools.pairwise(pictures)]
    cut = int(np.argmax(changes)) + 1
    assert cut == len(pictures) // 2
    assert changes[cut - 1] > 5 * sorted(changes)[len(changes) // 2]


def test_broadcast_clip_is_about_50_mbps_at_full_size(tmp_path: Path) -> None:
    clip = generate.broadcast_clip(tmp_path / "full.mxf", seconds=1.0, audio_tracks=0)
    assert 48e6 < clip.stat().st_size * 8 < 53e6  # CBR from the first GOP


def test_broadcast_clip_rejects_a_malformed_timecode(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="HH:MM:SS:FF"):
        generate.broadcast_clip(tmp_path / "x.mxf", start_timecode="10:00:00")


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_phone_clip_decodes_upright_in_ffmpeg_with_the_marker_top_left(tmp_path: Path, rotation: int) -> None:
    clip = generate.phone_clip(tmp_path / "phone.mp4", seconds=0.5, width=320, height=176, rotation=rotation)
    size = (176, 320) if rotation in (90, 270) else (320, 176)
    picture = upright_first_frame(clip, *size)
    assert generate.orientation_marker_corner(picture) == "top-left"
    assert picture[:20, :20].mean() > 245  # the marker is white


def test_phone_clip_frame_durations_really_vary(tmp_path: Path) -> None:
    clip = generate.phone_clip(tmp_path / "phone.mp4", seconds=1.0, width=320, height=176)
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        stamps = sorted(p.pts for p in container.demux(video) if p.pts is not None)
        spacing = {float((b - a) * video.time_base) for a, b in itertools.pairwise(stamps)}
        audio = container.streams.audio[0]
        assert (audio.codec_context.name, audio.channels) == ("aac", 2)
    assert {round(s, 4) for s in spacing} == {round(1 / 30, 4), round(1 / 20, 4)}


def test_silent_clip_has_progressive_video_and_no_audio_stream(tmp_path: Path) -> None:
    clip = generate.silent_clip(tmp_path / "b-roll.mp4", seconds=1.0, width=320, height=240)
    with av.open(str(clip)) as container:
        assert len(container.streams.audio) == 0
        assert container.streams.video[0].codec_context.name == "h264"
        assert not any(frame.interlaced_frame for frame in container.decode(video=0))


@pytest.mark.parametrize(
    ("name", "codec", "container_name"),
    [("a.wav", "pcm_s16le", "wav"), ("a.mp3", "mp3", "mp3"), ("a.m4a", "aac", "mov,mp4,m4a,3gp,3g2,mj2")],
)
def test_audio_clip_format_follows_the_suffix(tmp_path: Path, name: str, codec: str, container_name: str) -> None:
    clip = generate.audio_clip(tmp_path / name, seconds=1.0, channels=2)
    with av.open(str(clip)) as container:
        assert container.format.name == container_name
        assert len(container.streams.video) == 0
        stream = container.streams.audio[0]
        assert isinstance(stream, AudioStream)
        assert (stream.codec.canonical_name, stream.channels) == (codec, 2)


def test_audio_clip_refuses_a_suffix_it_cannot_make(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot make"):
        generate.audio_clip(tmp_path / "a.ogg")


def test_garbage_is_refused_by_the_ffmpeg_binary_too(tmp_path: Path) -> None:
    garbage = generate.corrupt_file(tmp_path / "upload.mp4", kind="garbage")
    done = ffmpeg_log("-i", str(garbage), "-f", "null", "-")
    assert done.returncode != 0 and "Invalid data" in done.stderr


def test_truncated_file_is_a_prefix_that_cannot_be_decoded_to_the_end(tmp_path: Path) -> None:
    source = generate.silent_clip(tmp_path / "full.mp4", seconds=2.0, width=320, height=240)
    truncated = generate.corrupt_file(tmp_path / "cut.mp4", kind="truncated", source=source)
    assert source.read_bytes().startswith(truncated.read_bytes())
    assert truncated.stat().st_size < source.stat().st_size / 2
    frames = 0
    with av.open(str(truncated)) as container:
        try:
            for _ in container.decode(video=0):
                frames += 1
        except av.error.FFmpegError:
            pass
    assert 0 < frames < 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "full.mp4"]


def test_orientation_marker_corner_names_the_brightest_corner() -> None:
    picture = np.full((90, 160, 3), 60, np.uint8)
    picture[-12:, -12:] = 255
    assert generate.orientation_marker_corner(picture) == "bottom-right"
    picture[:12, :12] = 255
    picture[-12:, -12:] = 0
    assert generate.orientation_marker_corner(picture) == "top-left"


def test_encoder_failure_raises_render_error_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"odd\.mp4"):
        generate.silent_clip(tmp_path / "odd.mp4", seconds=0.2, width=321, height=241)  # 4:2:0 needs even sizes
    assert not (tmp_path / "odd.mp4").exists()


def test_sample_set_makes_the_four_demo_originals_in_seconds(tmp_path: Path) -> None:
    started = time.monotonic()
    made = generate.sample_set(tmp_path / "demo")
    elapsed = time.monotonic() - started
    assert [p.name for p in made] == [
        "news_broadcast_1080i50.mxf",
        "phone_portrait_vfr.mp4",
        "silent_b-roll_720p.mp4",
        "radio_bulletin.wav",
    ]
    assert all(p.stat().st_size > 100_000 for p in made)
    assert elapsed < 30, f"sample_set took {elapsed:.1f} s"
