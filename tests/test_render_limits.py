"""A render's time and memory come from measured facts within ceilings; a file's claims cannot lift them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_settings

from transcode.errors import RenderError
from transcode.limits import RenderCeilings, render_limits
from transcode.mediainfo import MediaInfo, VideoStreamInfo
from transcode.plan import cover_box, fit_box

HOUR = 3600.0


def _info(duration: float, measured: float | None, width: int = 1920, height: int = 1080) -> MediaInfo:
    video = VideoStreamInfo(
        index=0,
        codec="h264",
        width=width,
        height=height,
        display_aspect_ratio="16:9",
        display_width=width,
        display_height=height,
        frame_rate=25.0,
        frame_rate_fraction="25/1",
    )
    return MediaInfo(container="matroska,webm", duration=duration, measured_duration=measured, size=1, video=[video])


def test_a_declared_duration_no_longer_removes_the_time_limit() -> None:
    ceilings = RenderCeilings(time_factor=10, max_seconds=24 * HOUR, max_memory_bytes=8 << 30)
    claimed = render_limits(_info(100_000_000.0, None), 3, None, ceilings, cores=2)
    assert claimed.timeout == 24 * HOUR and claimed.cpu_seconds == 48 * 3600  # the ceiling, not 10⁹ s
    shown = render_limits(_info(100_000_000.0, 2.0), 3, None, ceilings, cores=2)
    assert shown.timeout == 300.0  # what the streams showed: two seconds, so the five-minute floor


def test_the_time_follows_the_covered_duration_and_the_picture_size() -> None:
    ceilings = RenderCeilings(time_factor=10, max_seconds=24 * HOUR)
    hd = render_limits(_info(3600.0, 3600.0), 3, None, ceilings)
    uhd = render_limits(_info(3600.0, 3600.0, 3840, 2160), 3, None, ceilings)
    clip = render_limits(_info(3600.0, 3600.0), 1, 60.0, ceilings)  # a one-minute sub-clip
    assert hd.timeout == 10 * HOUR and uhd.timeout == 24 * HOUR and clip.timeout == 600.0


def test_memory_follows_the_picture_and_the_outputs_within_the_ceiling() -> None:
    ceilings = RenderCeilings(max_memory_bytes=8 << 30)
    small = render_limits(_info(10, 10, 320, 240), 3, None, ceilings).memory_bytes
    hd = render_limits(_info(10, 10), 3, None, ceilings).memory_bytes
    hd_many = render_limits(_info(10, 10), 8, None, ceilings).memory_bytes
    huge = render_limits(_info(10, 10, 8192, 8192), 8, None, ceilings).memory_bytes
    assert small < hd < hd_many < huge == 8 << 30
    assert small <= 3 << 30  # a small picture whose frames later claim a huge one is stopped well below 8 GiB
    assert hd_many >= 4 << 30  # 1080 with every profile peaked at 3.3 GiB of address space (measured)


def test_the_ceilings_and_limits_are_settings(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        MAM_RENDER_TIMEOUT_MAX_HOURS="2",
        MAM_RENDER_MEMORY_MB="4096",
        MAM_MAX_PICTURE_SIDE="4096",
        MAM_MAX_DURATION_HOURS="3",
        MAM_PROBE_TIMEOUT_SECONDS="5",
    )
    assert settings.render_ceilings == RenderCeilings(10.0, 2 * HOUR, 4096 << 20)
    assert settings.probe_limits.max_picture_side == 4096 and settings.probe_limits.max_duration == 3 * HOUR
    assert settings.probe_timeout == 5.0
    defaults = make_settings(tmp_path)
    assert defaults.probe_limits.max_picture_side == 8192 and defaults.probe_limits.max_duration == 24 * HOUR
    assert defaults.render_ceilings.max_seconds == 24 * HOUR


@pytest.mark.parametrize(("width", "height"), [(0, 0), (0, 1080), (1920, 0)])
def test_fit_box_refuses_a_picture_with_no_size_instead_of_dividing_by_zero(width: int, height: int) -> None:
    with pytest.raises(RenderError, match="no size"):
        fit_box(width, height, 640, 360, follow_orientation=True, upscale=False)


@pytest.mark.parametrize(("width", "height"), [(0, 0), (0, 1080), (1920, 0)])
def test_cover_box_refuses_a_picture_with_no_size_instead_of_dividing_by_zero(width: int, height: int) -> None:
    with pytest.raises(RenderError, match="no size"):
        cover_box(width, height, 1080, 1920)
