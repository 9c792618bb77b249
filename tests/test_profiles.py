from __future__ import annotations

from pathlib import Path

import pytest

from transcode.errors import ProfileError
from transcode.profiles import default_profiles_dir, load_profile, load_profiles, select_profiles


def test_every_shipped_profile_file_loads_and_is_named_after_its_file() -> None:
    files = sorted(default_profiles_dir().glob("*.toml"))
    assert {f.stem for f in files} >= {"proxy", "web_720p", "poster"}
    for file in files:
        assert load_profile(file).name == file.stem


def test_proxy_profile_is_about_360p_h264_at_one_megabit_with_timecode_and_stereo_aac() -> None:
    proxy = load_profiles()["proxy"]
    assert proxy.video is not None and proxy.audio is not None
    assert (proxy.video.width, proxy.video.height) == (640, 360)
    assert proxy.video.codec == "libx264" and 800_000 <= proxy.video.bitrate <= 1_200_000
    assert proxy.video.burn_timecode
    assert proxy.audio.codec == "aac" and proxy.audio.channels == 2
    assert proxy.applies("audio") and proxy.applies("video")


def test_web_720p_is_h264_high_with_faststart() -> None:
    web = load_profiles()["web_720p"]
    assert web.video is not None and web.video.h264_profile == "high" and web.faststart
    assert not web.applies("audio")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


VALID = """
name = "tiny"
description = "x"
container = "mp4"
extension = "mp4"
[video]
width = 320
height = 180
bitrate = "500k"
"""


def test_a_profile_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "tiny", VALID + "crf = 23\n")
    with pytest.raises(ProfileError, match="crf"):
        load_profile(path)


def test_a_profile_with_a_malformed_bitrate_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "tiny", VALID.replace('"500k"', '"fast"'))
    with pytest.raises(ProfileError, match="bit rate"):
        load_profile(path)


def test_a_profile_whose_name_differs_from_its_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "other", VALID)
    with pytest.raises(ProfileError, match=r"must be tiny\.toml"):
        load_profile(path)


def test_a_jpeg_profile_cannot_carry_video_settings(tmp_path: Path) -> None:
    text = (
        'name = "still"\ndescription = "x"\ncontainer = "jpeg"\nextension = "jpg"\n'
        "[image]\nwidth = 64\nheight = 64\n[video]\nwidth = 64\nheight = 64\nbitrate = 1000\n"
    )
    with pytest.raises(ProfileError, match=r"jpeg profile"):
        load_profile(_write(tmp_path, "still", text))


def test_selecting_an_unknown_profile_names_the_available_ones() -> None:
    with pytest.raises(ProfileError, match=r"available: .*proxy"):
        select_profiles(load_profiles(), ["proxy", "nope"])
