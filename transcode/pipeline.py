"""A whole render job, as the worker runs it: measure, plan, render once, verify every output.

Loudness normalisation is two-pass: pass one decodes only the audio and measures the programme;
the render (the single decode of the picture) applies each output's gain with a true-peak
limiter; every output is then probed and measured again before it may be registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from av.audio.frame import AudioFrame

from transcode.analysis.audio_qc import AudioMeter
from transcode.analysis.branch import AnalysisBranch, InterlaceBranch
from transcode.analysis.result import AnalysisResult
from transcode.analysis.speech import VoiceActivity, sound_report
from transcode.analysis.text_switch import text_branches, text_result
from transcode.branches import Branch
from transcode.loudness import Loudness, measure_programme
from transcode.mediainfo import MediaInfo
from transcode.plan import RenderPlan, Span, make_plan, standard_rate
from transcode.profiles import Profile
from transcode.render import RenderReport, remove_output, render
from transcode.verify import OutputCheck, verify_output

__all__ = ["JobResult", "make_renditions"]

_MEASURE_SHARE, _RENDER_SHARE = 0.03, 0.92


@dataclass
class JobResult:
    report: RenderReport
    checks: list[OutputCheck] = field(default_factory=list)
    loudness_before: Loudness | None = None
    analysis: AnalysisResult | None = None
    """Shots, keyframes, storyboard and QC measurements (render jobs on a whole source)."""

    def summary(self) -> dict[str, Any]:
        return {
            "loudness_before": self.loudness_before.to_dict() if self.loudness_before else None,
            "wall_seconds": round(self.report.wall_seconds, 3),
            "decode_seconds": round(self.report.decode_seconds, 3),
            "frames_decoded": self.report.frames_decoded,
            "checks": [c.summary() for c in self.checks],
            **({"analysis": self.analysis.summary()} if self.analysis else {}),
        }


def _expected_seconds(info: MediaInfo, has_video: bool) -> float:
    if has_video and info.video and info.video[0].duration:
        return info.video[0].duration
    if info.audio and info.audio[0].duration:
        return info.audio[0].duration
    return info.duration


def make_renditions(
    source: Path,
    info: MediaInfo,
    outputs: list[tuple[Profile, Path]],
    progress: Callable[[float], None] | None = None,
    span: Span | None = None,
    analyze: bool = True,
    speech: bool = True,
    ocr: bool | None = None,
    threads: int = 0,
) -> JobResult:
    """Make and check every output; on any failure no output file is left behind.

    With ``analyze`` (and no ``span``), shots, keyframes, storyboard and QC ride the same decode
    (and the loudness pass), into an ``analysis`` folder beside the outputs. On-screen text is read
    too when ``ocr`` is true, or (``None``) when a profile's ``[analysis]`` table asks for it.
    ``threads``: what each decoder, encoder and filter graph of the render may use (0: their choice)."""

    def report(fraction: float) -> None:
        if progress is not None:
            progress(min(1.0, fraction))

    analyze = analyze and span is None and bool(outputs)
    meter = AudioMeter() if analyze and info.audio else None
    voice = VoiceActivity() if meter is not None and speech else None  # speech, music/other, silence
    loudness = None
    if info.audio and (meter is not None or any(p.loudness is not None for p, _ in outputs)):
        loudness = measure_programme(
            source,
            info,
            observe=_listeners(meter, voice),
            start=span.start if span else 0.0,
            end=span.end if span else None,
            progress=lambda f: report(_MEASURE_SHARE * f),
        )
    report(_MEASURE_SHARE)
    plan = make_plan(source, info, outputs, loudness, span, threads)
    branches = _analysis_branches(plan, outputs) if analyze else []
    branches += text_branches(plan, outputs, ocr) if analyze else []
    rendered = render(plan, progress=lambda f: report(_MEASURE_SHARE + _RENDER_SHARE * f), extra=branches)
    analysis = _analysis(plan, branches, meter, loudness, voice) if analyze else None
    checks = []
    try:
        for out in plan.outputs:
            expected = span.duration if span else _expected_seconds(info, out.video is not None)
            checks.append(verify_output(out, expected, plan.start_timecode))
    except BaseException:
        for out in plan.outputs:
            remove_output(out.profile, out.path)
        raise
    report(1.0)
    return JobResult(rendered, checks, loudness, analysis)


def _analysis_branches(plan: RenderPlan, outputs: list[tuple[Profile, Path]]) -> list[Branch]:
    if not plan.needs_video or not plan.info.video:
        return []
    profile, path = outputs[0]
    folder = (path.parent.parent if profile.is_directory else path.parent) / "analysis"
    video = plan.info.video[0]
    rate = float(standard_rate(video.frame_rate))  # bwdif send_frame keeps one picture per frame
    return [AnalysisBranch(folder, rate, plan.start_timecode, plan.timecode_base), InterlaceBranch()]


def _listeners(meter: AudioMeter | None, voice: VoiceActivity | None) -> Callable[[AudioFrame], None] | None:
    """What hears every frame of the loudness pass: sound QC, and voice activity beside it."""
    if meter is None or voice is None:
        return meter.offer if meter is not None else None

    def both(frame: AudioFrame) -> None:
        meter.offer(frame)
        voice.offer(frame)

    return both


def _analysis(
    plan: RenderPlan,
    branches: list[Branch],
    meter: AudioMeter | None,
    loudness: Loudness | None,
    voice: VoiceActivity | None = None,
) -> AnalysisResult:
    pictures = next((b for b in branches if isinstance(b, AnalysisBranch)), None)
    result = pictures.result if pictures else AnalysisResult(duration=plan.info.duration)
    fields = next((b for b in branches if isinstance(b, InterlaceBranch)), None)
    if fields is not None:
        result.interlace = fields.verdict(plan.source_field_order)
        result.seconds += fields.seconds
    text_result(result, branches)
    result.audio = meter.result() if meter else None
    if voice is not None and result.audio is not None:
        result.sound = sound_report(voice, result.audio["silence"], result.audio["seconds"])
        result.seconds += voice.seconds
    result.loudness = loudness.to_dict() if loudness else None
    return result
