"""Run a :class:`~transcode.plan.RenderPlan`: one read and decode of the source, many outputs.

The source is demuxed once; each decoded video frame enters one filter graph whose shared head
(rotation, deinterlacing) ends in a ``split`` with one branch per output (constant frame rate,
scaling, pixel format), and each decoded audio frame enters one audio graph (track mapping,
resampling) ending in an ``asplit``. Branch sinks feed PyAV encoders and muxers. Outputs are
written to the plan's paths; on any failure every output of the run is deleted.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
import av.filter
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.filter.context import FilterContext
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

from transcode.audio_branches import AudioBranch, TracksBranch
from transcode.branches import Branch, PosterBranch, VideoBranch, drain
from transcode.encoder import Muxer
from transcode.errors import RenderError, media_reason
from transcode.graphs import SILENCE_RATE, BuiltGraph, build_audio_graph, build_video_graph
from transcode.inputs import open_input
from transcode.plan import OutputPlan, RenderPlan
from transcode.profiles import Profile

__all__ = ["RenderReport", "RenderedOutput", "remove_output", "render"]

ProgressCallback = Callable[[float], None]

_PAST_OUT_POINT = 0.5
"""Seconds read beyond a sub-clip's out-point, so that every stream has reached it."""


@dataclass(frozen=True)
class RenderedOutput:
    profile: str
    path: Path
    size: int
    duration: float
    seconds: float
    """Time spent in this output's own filters and encoders (on its thread; the shared decode excluded)."""
    width: int = 0
    height: int = 0
    video_frames: int = 0


@dataclass
class RenderReport:
    outputs: list[RenderedOutput] = field(default_factory=list)
    wall_seconds: float = 0.0
    decode_seconds: float = 0.0
    """Main-thread time outside the outputs' filter chains: demux, decode, the shared filters, and
    waiting when an encoder's queue is full."""
    frames_decoded: int = 0
    source_seconds_decoded: float = 0.0


@dataclass
class _Output:
    plan: OutputPlan
    container: av.container.OutputContainer | None
    branches: list[Branch]

    def close(self) -> None:
        """Flush the branches, wait for their encoder threads, then finish the file."""
        for branch in self.branches:
            branch.finish()
        for branch in self.branches:
            if branch.encoder is not None:
                branch.encoder.close()
        if self.container is not None:
            self.container.close()

    def abort(self) -> None:
        for branch in self.branches:
            if branch.encoder is not None:
                branch.encoder.abort()
        if self.container is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                self.container.close()

    @property
    def seconds(self) -> float:
        return sum(b.seconds + (b.encoder.busy_seconds if b.encoder else 0.0) for b in self.branches)

    @property
    def size(self) -> int:
        if self.plan.profile.is_directory:
            return sum(p.stat().st_size for p in self.plan.path.parent.rglob("*") if p.is_file())
        return self.plan.path.stat().st_size


def _hls_options(plan: OutputPlan) -> dict[str, str]:
    streaming = plan.profile.streaming
    assert streaming is not None
    folder = plan.path.parent
    group = ",agroup:audio" if plan.audio is not None else ""
    variants = [f"v:{index}{group}" for index in range(len(plan.rungs))]
    if plan.audio is not None:
        variants.append("a:0,agroup:audio,default:yes")
    return {
        "hls_time": f"{streaming.segment_seconds:g}",
        "hls_playlist_type": "vod",
        "hls_segment_type": "fmp4",
        "hls_segment_filename": str(folder / "v%v" / "segment_%05d.m4s"),
        "hls_fmp4_init_filename": "init.mp4",
        "master_pl_name": plan.path.name,
        "var_stream_map": " ".join(variants),
    }


def _open_output(plan: OutputPlan, start_timecode: str | None) -> av.container.OutputContainer | None:
    if plan.image is not None:
        return None
    profile = plan.profile
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    if profile.container == "hls":
        return av.open(str(plan.path.parent / "v%v" / "index.m3u8"), "w", format="hls", options=_hls_options(plan))
    options = {"movflags": "+faststart"} if profile.container == "mp4" and profile.faststart else {}
    container = av.open(str(plan.path), "w", format=profile.container, options=options)
    if profile.carry_timecode and start_timecode:
        container.metadata["timecode"] = start_timecode
    return container


def _setup_outputs(plan: RenderPlan) -> list[_Output]:
    outputs: list[_Output] = []
    channels = sum(a.channels for a in plan.info.audio)
    for out in plan.outputs:
        container = _open_output(out, plan.start_timecode)
        branches: list[Branch] = []
        if out.image is not None:
            branches.append(PosterBranch(out))
        else:
            assert container is not None
            muxer = Muxer(container)
            for video in out.rungs or ((out,) if out.video is not None else ()):
                branches.append(
                    VideoBranch(
                        video,
                        container,
                        muxer,
                        plan.start_timecode,
                        plan.timecode_base,
                        plan.source_field_order,
                        plan.threads,
                    )
                )
            if out.audio is not None and out.audio.layout == "tracks":
                surround = len(plan.info.audio) == 1 and channels > 2
                branches.append(TracksBranch(out, container, muxer, channels, out.rate or Fraction(25), surround))
            elif out.audio is not None:
                branches.append(AudioBranch(out, container, muxer))
        outputs.append(_Output(out, container, branches))
    return outputs


def _cleanup(outputs: list[_Output], plan: RenderPlan) -> None:
    """Stop every encoder thread before closing its file, then delete every output of the run."""
    for out in outputs:
        out.abort()
    for out_plan in plan.outputs:
        remove_output(out_plan.profile, out_plan.path)


def remove_output(profile: Profile, path: Path) -> None:
    """Delete what a render of ``profile`` wrote at ``path`` (a file, or the rendition's folder)."""
    if profile.is_directory:
        shutil.rmtree(path.parent, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def render(plan: RenderPlan, progress: ProgressCallback | None = None, extra: Sequence[Branch] = ()) -> RenderReport:
    """Make every output of ``plan`` from one decode; raise RenderError (and leave no outputs).

    ``extra`` branches (analyzers) ride the same decode; they are finished after the outputs."""
    started = time.perf_counter()
    report = RenderReport()
    outputs: list[_Output] = []
    try:
        outputs = _setup_outputs(plan)
        _run(plan, outputs, report, progress, extra)
        for out in outputs:
            out.close()
        for branch in extra:
            branch.finish()
    except av.error.FFmpegError as exc:
        _cleanup(outputs, plan)
        if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):  # the disk, not the media: a passing fault
            raise OSError(exc.errno, "No space left on device") from exc
        raise RenderError(f"rendering {plan.source.name} failed: {media_reason(exc)}") from exc
    except BaseException:
        _cleanup(outputs, plan)
        raise
    report.wall_seconds = time.perf_counter() - started
    branch_seconds = 0.0
    for out in outputs:
        seconds = out.seconds
        branch_seconds += sum(b.seconds for b in out.branches)
        video = next((b for b in out.branches if b.route in ("raw", "progressive")), None)
        report.outputs.append(
            RenderedOutput(
                profile=out.plan.profile.name,
                path=out.plan.path,
                size=out.size,
                duration=max(b.duration for b in out.branches),
                seconds=seconds,
                width=out.plan.width,
                height=out.plan.height,
                video_frames=video.frames if video else 0,
            )
        )
    report.decode_seconds = max(0.0, report.wall_seconds - branch_seconds)
    return report


def _run(
    plan: RenderPlan,
    outputs: list[_Output],
    report: RenderReport,
    progress: ProgressCallback | None,
    extra: Sequence[Branch] = (),
) -> None:
    branches = [b for o in outputs for b in o.branches] + list(extra)
    video_branches = [b for b in branches if b.route in ("raw", "progressive")]
    audio_branches = [b for b in branches if b.route in ("mix", "channels")]
    with open_input(plan.source) as container:
        start = (container.start_time or 0) / av.time_base
        if plan.span is not None and plan.span.start > 0:
            # To the keyframe before the in-point; the heads' trim drops what comes before it.
            container.seek(int((start + plan.span.start) * av.time_base), backward=True)
            start += plan.span.start
        vstream: VideoStream | None = container.streams.video[0] if video_branches else None
        vgraph: BuiltGraph | None = None
        if vstream is not None:
            vstream.thread_type = "AUTO"
            vstream.codec_context.thread_count = plan.threads
        astreams: list[AudioStream] = []
        agraph: BuiltGraph | None = None
        silence: _Silence | None = None
        if audio_branches:
            by_index = {s.index: s for s in container.streams.audio}
            wanted = (
                plan.audio_streams
                if any(b.route == "channels" for b in audio_branches)
                else (plan.audio_source.stream_indexes if plan.audio_source else ())
            )
            astreams = [by_index[i] for i in wanted]
            agraph = build_audio_graph(astreams, plan, audio_branches)
            for branch, sinks in zip(audio_branches, agraph.sinks, strict=True):
                branch.sinks = sinks
            if not astreams:
                silence = _Silence(agraph.inputs[0])
        streams: list[VideoStream | AudioStream] = [*([vstream] if vstream else []), *astreams]
        clock_stream = streams[0] if streams else None
        duration = max(plan.duration, 1e-3)
        last_reported = -1.0
        decoded_until = 0.0
        for packet in container.demux(streams):
            if plan.span is not None and decoded_until >= duration + _PAST_OUT_POINT:
                break
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                if decoded_until <= 0.0:
                    raise
                # damaged data after good pictures (a threaded decoder says so where a single thread
                # went quiet): decoding stops here, and _check_complete tells a short source apart
                break
            for frame in frames:
                if not isinstance(frame, (VideoFrame, AudioFrame)) or frame.pts is None or frame.time_base is None:
                    continue
                seconds = float(frame.pts * frame.time_base) - start
                frame.pts = round(seconds / frame.time_base)
                if isinstance(frame, VideoFrame):
                    if vgraph is None:
                        vgraph = build_video_graph(frame, frame.time_base, plan, video_branches)
                        for branch, sinks in zip(video_branches, vgraph.sinks, strict=True):
                            branch.sinks = sinks
                    report.frames_decoded += 1
                    frame.pict_type = PictureType.NONE
                    _push(vgraph.inputs[0], frame)
                    for vb in video_branches:
                        vb.pull()
                    if silence is not None and frame.duration and frame.time_base:
                        silence.until(seconds + float(frame.duration * frame.time_base))
                        for ab in audio_branches:
                            ab.pull()
                elif agraph is not None:
                    _push(agraph.inputs[astreams.index(packet.stream)], frame)  # type: ignore[arg-type]
                    for ab in audio_branches:
                        ab.pull()
                if packet.stream is clock_stream:
                    if plan.span is not None and seconds >= duration + _PAST_OUT_POINT:
                        break
                    decoded_until = max(decoded_until, seconds)
                    fraction = min(1.0, decoded_until / duration)
                    if progress is not None and fraction - last_reported >= 0.01:
                        last_reported = fraction
                        progress(fraction)
        report.source_seconds_decoded = decoded_until
        if video_branches and vgraph is None:
            raise RenderError(f"{plan.source.name} has a video stream but no picture could be decoded")
        for graph, group in ((vgraph, video_branches), (agraph, audio_branches)):
            if graph is not None:
                for source in graph.inputs:
                    with contextlib.suppress(av.error.EOFError):
                        source.push(None)
                drain(group)
    _check_complete(plan, decoded_until, clock_stream)
    if progress is not None:
        progress(1.0)


def _push(source: FilterContext, frame: VideoFrame | AudioFrame) -> None:
    """Feed a graph input; a graph that has already ended (a sub-clip's trim passed) takes no more."""
    with contextlib.suppress(av.error.EOFError):
        source.push(frame)


class _Silence:
    """Feeds silent mono audio into a graph input, keeping pace with the video."""

    def __init__(self, source: FilterContext) -> None:
        self.source, self.samples = source, 0

    def until(self, seconds: float) -> None:
        target = round(seconds * SILENCE_RATE)
        while self.samples < target:
            count = min(SILENCE_RATE // 25, target - self.samples)
            frame = AudioFrame.from_ndarray(np.zeros((1, count), np.int16), format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = (
                SILENCE_RATE,
                self.samples,
                Fraction(1, SILENCE_RATE),
            )
            _push(self.source, frame)
            self.samples += count


def _check_complete(plan: RenderPlan, decoded_until: float, clock: object) -> None:
    """A file that decodes only part-way is truncated or corrupt: refuse to call that a rendition."""
    if clock is None:
        return
    expected = plan.duration
    frame = 1.0 / plan.timecode_base
    if expected > 0 and decoded_until + max(1.0, 0.02 * expected) + frame < expected:
        raise RenderError(
            f"{plan.source.name} stops decoding at {decoded_until:.2f} s of its {expected:.2f} s: "
            "the file is truncated or corrupt; upload a complete copy"
        )
