"""The worker's media work, each run in a sandboxed child: probe, render, the whole rendition job.

A killed child cannot clean up after itself, so on any failure the parent deletes every output
path of the job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from transcode.inputs import label
from transcode.limits import ProbeLimits
from transcode.mediainfo import MediaInfo
from transcode.pipeline import JobResult, make_renditions
from transcode.plan import RenderPlan, Span
from transcode.probe import probe
from transcode.profiles import Profile
from transcode.render import RenderReport, remove_output, render
from transcode.sandbox.child import ProgressFn
from transcode.sandbox.runner import Cancel, Progress, run_isolated

__all__ = ["frames_to_decode", "probe_isolated", "render_isolated", "renditions_isolated"]

T = TypeVar("T")


def probe_isolated(
    path: Path,
    *,
    timeout: float = 60.0,
    memory_bytes: int | None = None,
    allowed_formats: frozenset[str] | None = None,
    limits: ProbeLimits | None = None,
) -> MediaInfo:
    """:func:`transcode.probe.probe` in a child process (the first parse of untrusted bytes)."""
    work = functools.partial(_probe_in_child, path, allowed_formats, limits)
    return run_isolated(work, timeout=timeout, memory_bytes=memory_bytes, task=f"probing {label(path)}")


def render_isolated(
    plan: RenderPlan,
    *,
    timeout: float,
    memory_bytes: int | None = None,
    cpu_seconds: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: Cancel | None = None,
) -> RenderReport:
    """:func:`transcode.render.render` in a child; on any failure no output of the plan is left."""
    work = functools.partial(render, plan)
    limits = _Limits(timeout, memory_bytes, cpu_seconds, on_progress, cancel)
    return _making(work, [(o.profile, o.path) for o in plan.outputs], plan.source, plan.info, limits, plan.span)


def renditions_isolated(
    source: Path,
    info: MediaInfo,
    outputs: list[tuple[Profile, Path]],
    *,
    timeout: float,
    memory_bytes: int | None = None,
    cpu_seconds: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: Cancel | None = None,
    span: Span | None = None,
    ocr: bool | None = None,
    threads: int = 0,
) -> JobResult:
    """:func:`transcode.pipeline.make_renditions` (measure, render, verify) in a child process;
    ``threads``: what each of its decoder, encoders and filter graph may use (0: their choice)."""
    work = functools.partial(make_renditions, source, info, outputs, span=span, ocr=ocr, threads=threads)
    limits = _Limits(timeout, memory_bytes, cpu_seconds, on_progress, cancel)
    return _making(work, list(outputs), source, info, limits, span)


@dataclass(frozen=True)
class _Limits:
    timeout: float
    memory_bytes: int | None
    cpu_seconds: int | None
    on_progress: Callable[[Progress], None] | None
    cancel: Cancel | None


def frames_to_decode(info: MediaInfo, span: Span | None = None) -> int | None:
    """How many source frames a render reads: all of them, or the sub-clip's share (for frames/s)."""
    video = info.primary_video
    if video is None:
        return None
    if span is None:
        return video.frame_count
    return max(1, round(span.duration * video.frame_rate))


def _making(
    work: Callable[[ProgressFn], T],
    outputs: list[tuple[Profile, Path]],
    source: Path,
    info: MediaInfo,
    limits: _Limits,
    span: Span | None = None,
) -> T:
    try:
        return run_isolated(
            work,
            timeout=limits.timeout,
            memory_bytes=limits.memory_bytes,
            cpu_seconds=limits.cpu_seconds,
            on_progress=limits.on_progress,
            cancel=limits.cancel,
            task=f"rendering {label(source)}",
            total_frames=frames_to_decode(info, span),
        )
    except BaseException:
        for profile, path in outputs:  # a killed child could not clean up after itself
            remove_output(profile, path)
        raise


def _probe_in_child(
    path: Path, allowed: frozenset[str] | None, limits: ProbeLimits | None, progress: ProgressFn
) -> MediaInfo:
    return probe(path, allowed_formats=allowed, limits=limits)
