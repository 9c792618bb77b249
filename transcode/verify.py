"""Check a finished output against its plan before anyone may use it.

Each output is probed again and, for profiles with a loudness target, measured again: codec,
pixel format, frame size, rate, field order, bit rate, duration (within one frame), carried
timecode, audio layout, sample rate, loudness and true peak. A failed
check raises :class:`OutputCheckError` naming every failure; passing returns what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2

from transcode.errors import OutputCheckError
from transcode.loudness import Loudness, measure_programme
from transcode.mediainfo import MediaInfo
from transcode.plan import OutputPlan
from transcode.probe import probe
from transcode.verify_bits import audio_rate_problem, stream_bits, video_rate_problem
from transcode.verify_hls import verify_ladder

__all__ = ["OutputCheck", "verify_output"]

_CODEC_NAMES = {
    "libx264": "h264",
    "mpeg2video": "mpeg2video",
    "aac": "aac",
    "libmp3lame": "mp3",
    "pcm_s24le": "pcm_s24le",
    "pcm_s16le": "pcm_s16le",
}
_AUDIO_SLACK = 0.05
"""Seconds of audio length allowed beyond one video frame (encoder priming and frame padding)."""
_PEAK_SLACK = {"pcm": 0.5, "lossy": 1.0}
"""dB a decoded true peak may exceed the limit: lossy codecs overshoot the limiter a little."""


@dataclass
class OutputCheck:
    profile: str
    info: MediaInfo | None = None
    loudness: Loudness | None = None
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        result: dict[str, Any] = {"profile": self.profile}
        if self.loudness is not None:
            result["loudness"] = self.loudness.to_dict()
        if self.info is not None and self.info.video:
            v = self.info.video[0]
            result["video"] = {
                "codec": v.codec,
                "size": f"{v.width}x{v.height}",
                "frame_rate": v.frame_rate,
                "field_order": v.field_order,
                "duration": v.duration,
            }
        return result


def _check_video(check: OutputCheck, plan: OutputPlan, info: MediaInfo, expected: float, bits: dict[int, int]) -> None:
    spec = plan.video
    assert spec is not None
    if not info.video:
        check.problems.append("has no video stream")
        return
    v = info.video[0]
    if v.codec != _CODEC_NAMES[spec.codec]:
        check.problems.append(f"video codec is {v.codec}, not {_CODEC_NAMES[spec.codec]}")
    if v.pixel_format != spec.pixel_format:
        check.problems.append(f"pixel format is {v.pixel_format}, not {spec.pixel_format}")
    rate_problem = video_rate_problem(spec, bits.get(v.index, 0), v.duration or info.duration)
    if rate_problem:
        check.problems.append(rate_problem)
    if (v.width, v.height) != (plan.width, plan.height):
        check.problems.append(f"picture is {v.width}x{v.height}, not {plan.width}x{plan.height}")
    if abs(v.frame_rate - float(plan.rate)) > 0.01:
        check.problems.append(f"frame rate is {v.frame_rate:g}, not {float(plan.rate):g}")
    wanted = "tff" if plan.interlace != "none" else "progressive"
    if v.field_order not in (wanted, "unknown" if wanted == "progressive" else wanted):
        check.problems.append(f"field order is {v.field_order}, not {wanted}")
    frame = 1 / float(plan.rate)
    duration = v.duration if v.duration is not None else info.duration
    if abs(duration - expected) > frame + 1e-6:
        check.problems.append(f"video lasts {duration:.3f} s, the source {expected:.3f} s (more than a frame apart)")


def _check_audio(check: OutputCheck, plan: OutputPlan, info: MediaInfo, expected: float, bits: dict[int, int]) -> None:
    spec = plan.audio
    assert spec is not None
    streams = info.audio
    rates = sorted({a.sample_rate for a in streams})
    if rates and rates != [spec.sample_rate]:
        check.problems.append(f"audio is sampled at {rates} Hz, not {spec.sample_rate} Hz")
    for stream in streams[:1]:
        problem = audio_rate_problem(spec, bits.get(stream.index, 0), stream.duration or info.duration, stream.channels)
        if problem:
            check.problems.append(problem)
    if spec.layout == "tracks":
        if len(streams) != spec.tracks or any(a.channels != 1 for a in streams):
            check.problems.append(
                f"has {len(streams)} audio streams of {[a.channels for a in streams]} channels, "
                f"not {spec.tracks} mono tracks"
            )
    elif len(streams) != 1 or streams[0].channels != spec.channels:
        check.problems.append(f"audio is {[a.channels for a in streams]} channels, not one stream of {spec.channels}")
    if streams and streams[0].codec != _CODEC_NAMES[spec.codec]:
        check.problems.append(f"audio codec is {streams[0].codec}, not {_CODEC_NAMES[spec.codec]}")
    slack = (1 / float(plan.rate) if plan.rate else 0.0) + _AUDIO_SLACK
    for stream in streams[:1]:
        if stream.duration is not None and abs(stream.duration - expected) > slack:
            check.problems.append(f"audio lasts {stream.duration:.3f} s, the source {expected:.3f} s")


def _check_loudness(check: OutputCheck, plan: OutputPlan, measured: Loudness | None) -> None:
    """Integrated loudness on the target, true peak under the limit (the measure of the output)."""
    target = plan.profile.loudness
    assert target is not None and plan.audio is not None
    check.loudness = measured
    if measured is None or plan.gain_db is None or (plan.gain_db == 0.0 and measured.integrated < -60):
        return  # a silent programme has no loudness to correct
    if abs(measured.integrated - target.integrated) > target.tolerance:
        check.problems.append(
            f"loudness is {measured.integrated:.1f} LUFS, target {target.integrated:.1f} ±{target.tolerance:g} LU"
        )
    slack = _PEAK_SLACK["pcm" if plan.audio.codec.startswith("pcm") else "lossy"]
    if measured.true_peak > target.true_peak + slack:
        check.problems.append(f"true peak is {measured.true_peak:.1f} dBTP, limit {target.true_peak:.1f} dBTP")


def verify_output(plan: OutputPlan, expected_seconds: float, timecode: str | None = None) -> OutputCheck:
    """Probe ``plan.path`` and compare it with the plan; raise OutputCheckError on any mismatch.

    ``timecode`` is the start timecode a profile that carries timecode must show (the source's,
    at the in-point of a sub-clip)."""
    check = OutputCheck(plan.profile.name)
    if plan.image is not None:
        image = cv2.imread(str(plan.path))
        if image is None:
            check.problems.append("the JPEG does not decode")
        elif (image.shape[1], image.shape[0]) != (plan.width, plan.height):
            check.problems.append(f"poster is {image.shape[1]}x{image.shape[0]}, not {plan.width}x{plan.height}")
    elif plan.profile.is_directory:
        check.info, loudness = verify_ladder(plan, expected_seconds, check.problems)
        if plan.profile.loudness is not None and plan.audio is not None:
            _check_loudness(check, plan, loudness)
    else:
        info = probe(plan.path)
        check.info = info
        bits = stream_bits(plan.path)
        if plan.video is not None:
            _check_video(check, plan, info, expected_seconds, bits)
        if plan.audio is not None:
            _check_audio(check, plan, info, expected_seconds, bits)
            if plan.profile.loudness is not None:
                _check_loudness(check, plan, measure_programme(plan.path, info))
        if plan.profile.carry_timecode and timecode and info.start_timecode != timecode:
            check.problems.append(f"starts at timecode {info.start_timecode}, not the source's {timecode}")
    if check.problems:
        raise OutputCheckError(f"the {plan.profile.name} rendition failed its checks: " + "; ".join(check.problems))
    return check
