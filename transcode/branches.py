"""One output's share of a render: its filter chain after a split, and what consumes its frames.

``VideoBranch`` (one video stream) encodes on its output's encoder thread; ``PosterBranch`` picks
the most telling frame and writes a JPEG. The audio branches are in :mod:`transcode.audio_branches`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import av
import av.error
import av.filter
from av.filter.context import FilterContext
from av.frame import Frame
from av.video.frame import PictureType, VideoFrame

from transcode.encoder import EncoderThread, Muxer
from transcode.graphs import Step, chain, geometry
from transcode.overlay import burn_label
from transcode.plan import OutputPlan
from transcode.posters import PosterPicker
from transcode.profiles import VideoSpec
from transcode.timecode import Timecode, parse_timecode

__all__ = ["Branch", "PosterBranch", "VideoBranch", "drain", "vbv_buffer_bits"]

_WEAVE = [
    ("setfield", "tff"),
    ("separatefields", ""),
    ("select", "eq(mod(n,4),0)+eq(mod(n,4),3)"),
    ("weave", "first_field=top"),
    ("setfield", "tff"),
]
_FIELD_TT = 2  # AVFieldOrder AV_FIELD_TT


class Branch:
    """Pulls frames from its sinks and hands them to :meth:`consume`; keeps its own timing."""

    route = "progressive"

    def __init__(self, plan: OutputPlan) -> None:
        self.plan = plan
        self.sinks: list[FilterContext] = []
        self.ended: set[int] = set()
        self.seconds = 0.0
        self.duration = 0.0
        self.frames = 0
        self.encoder: EncoderThread | None = None

    def steps(self) -> list[Step]:
        return []

    def build(self, graph: av.filter.Graph, upstream: FilterContext, pad: int) -> list[FilterContext]:
        return [chain(graph, upstream, pad, self.steps())]

    def shared_input(self) -> tuple[Fraction, int, int] | None:
        return None

    def build_shared(self, graph: av.filter.Graph, upstream: FilterContext, pad: int) -> list[FilterContext]:
        return self.build(graph, upstream, pad)

    def consume(self, frame: Frame, sink: int) -> None:
        raise NotImplementedError

    def submit(self, call: Callable[[Any], None], argument: object) -> None:
        """Hand work to this branch's encoder thread."""
        assert self.encoder is not None
        self.encoder.submit(call, argument)

    def finish(self) -> None:
        """Flush encoders or write the file once every frame has been consumed."""

    @property
    def done(self) -> bool:
        return len(self.ended) == len(self.sinks)

    def pull(self) -> None:
        started = time.perf_counter()
        for index, sink in enumerate(self.sinks):
            while index not in self.ended:
                try:
                    frame = sink.pull()
                except av.error.BlockingIOError:
                    break
                except av.error.EOFError:
                    self.ended.add(index)
                    break
                self.consume(frame, index)
        self.seconds += time.perf_counter() - started


def drain(branches: Sequence[Branch]) -> None:
    """After the inputs are closed, pull each branch until every sink reports the end."""
    for branch in branches:
        while branch.sinks and not branch.done:
            branch.pull()


def _rate(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def vbv_buffer_bits(spec: VideoSpec) -> int | None:
    """The encoder's rate buffer: over any T seconds a stream holds at most max rate x T + this."""
    if spec.codec == "mpeg2video":
        return spec.bitrate * 8 // 11
    return spec.max_bitrate * 2 if spec.max_bitrate else None


def _x264_options(plan: OutputPlan) -> dict[str, str]:
    spec = plan.video
    assert spec is not None
    options: dict[str, str] = {"preset": spec.preset, "profile": spec.h264_profile}
    if spec.max_bitrate:
        options |= {"maxrate": str(spec.max_bitrate), "bufsize": str(vbv_buffer_bits(spec))}
    if spec.b_frames is not None:
        options["bf"] = str(spec.b_frames)
    if plan.profile.streaming is not None:  # keyframes exactly every GOP in every rung: aligned segments
        options |= {"sc_threshold": "0", "keyint_min": str(plan.gop), "x264-params": "scenecut=0:open-gop=0"}
    return options


def _mpeg2_options(plan: OutputPlan) -> dict[str, str]:
    """XDCAM HD422-style MPEG-2: closed long GOP, constant rate, intra VLC, 4:2:2."""
    spec = plan.video
    assert spec is not None
    bits = str(spec.bitrate)
    flags = "+ildct+ilme+cgop" if plan.interlace != "none" else "+cgop"
    options = {
        "flags": flags,
        "b": bits,
        "maxrate": str(spec.max_bitrate or spec.bitrate),
        "bufsize": str(vbv_buffer_bits(spec)),
        "g": str(plan.gop),
        "bf": str(spec.b_frames or 2),
        "intra_vlc": "1",
        "non_linear_quant": "1",
        "alternate_scan": "1",
        "qmin": "1",
        "qmax": "12",
        "dc": "10",
        "sc_threshold": "1000000000",
    }
    if spec.constant_bitrate:
        options |= {"minrate": bits, "rc_init_occupancy": options["bufsize"]}
    return options


class VideoBranch(Branch):
    def __init__(
        self,
        plan: OutputPlan,
        container: av.container.OutputContainer,
        muxer: Muxer,
        start_timecode: str | None,
        timecode_base: int,
        source_field_order: str,
        threads: int = 0,
    ) -> None:
        """``threads``: the encoder's own (0: as many as it likes, about one per core)."""
        super().__init__(plan)
        spec = plan.video
        assert spec is not None and plan.geometry is not None
        self.encoder, self.muxer = EncoderThread(f"{plan.profile.name}-{plan.width}x{plan.height}"), muxer
        self.route = "raw" if plan.interlace == "native" else "progressive"
        self.source_field_order = source_field_order
        codec_options = _x264_options(plan) if spec.codec == "libx264" else _mpeg2_options(plan)
        stream = container.add_stream(spec.codec, rate=plan.rate, options=codec_options)
        stream.width, stream.height = plan.geometry.width, plan.geometry.height
        stream.pix_fmt = spec.pixel_format
        ctx = stream.codec_context
        ctx.bit_rate = spec.bitrate
        ctx.gop_size = plan.gop
        ctx.time_base = 1 / plan.rate
        if plan.interlace != "none":
            ctx.field_order = _FIELD_TT
        ctx.thread_count = threads
        if spec.codec == "libx264":
            # x264's own frame threads, as the ffmpeg command line runs it: PyAV asks for sliced
            # threads by default, which cost more CPU per frame and bits per quality
            ctx.thread_type = "FRAME"
        self.stream = stream
        self.timecode: Timecode | None = None
        if spec.burn_timecode:
            self.timecode = parse_timecode(start_timecode or "00:00:00:00", timecode_base)

    def steps(self) -> list[Step]:
        spec, g, mode = self.plan.video, self.plan.geometry, self.plan.interlace
        assert spec is not None and g is not None
        fmt = [("format", spec.pixel_format)]
        if mode == "native":
            order = [("fieldorder", "tff")] if self.source_field_order == "bff" else []
            return [*geometry(g, interlaced=True), *order, *fmt, ("setfield", "tff")]
        return [("fps", f"fps={_rate(self._picture_rate)}"), *self._after_rate()]

    @property
    def _picture_rate(self) -> Fraction:
        """Pictures a second entering the scaler: twice the frame rate when fields are woven."""
        return self.plan.rate * 2 if self.plan.interlace == "weave" else self.plan.rate

    def _after_rate(self) -> list[Step]:
        spec, g, mode = self.plan.video, self.plan.geometry, self.plan.interlace
        assert spec is not None and g is not None
        steps = [*geometry(g), ("format", spec.pixel_format)]
        if mode == "weave":
            return steps + _WEAVE
        return steps + ([("setfield", "tff")] if mode == "psf" else [])

    def shared_input(self) -> tuple[Fraction, int, int] | None:
        """(pictures a second, width, height) this branch can take from the graph's shared frame
        rate and scaling steps; None when it builds its whole chain itself."""
        g = self.plan.geometry
        if g is None or g.fit == "blur_pad" or self.plan.interlace == "native":
            return None
        return self._picture_rate, g.inner_width, g.inner_height

    def build_shared(self, graph: av.filter.Graph, upstream: FilterContext, pad: int) -> list[FilterContext]:
        """This branch's chain after the shared steps (its own scale is a no-op at the shared size)."""
        return [chain(graph, upstream, pad, self._after_rate())]

    def build(self, graph: av.filter.Graph, upstream: FilterContext, pad: int) -> list[FilterContext]:
        g = self.plan.geometry
        assert g is not None and self.plan.video is not None
        if g.fit != "blur_pad":
            return super().build(graph, upstream, pad)
        # A small, blurred, centre-cropped copy fills the frame; the whole picture sits on top.
        timed = chain(graph, upstream, pad, [("fps", f"fps={_rate(self.plan.rate)}")])
        parts = graph.add("split", "2")
        timed.link_to(parts, 0, 0)
        small_w, small_h = max(2, g.width // 8 // 2 * 2), max(2, g.height // 8 // 2 * 2)
        cover = max(small_w / g.inner_width, small_h / g.inner_height)
        cw, ch = (
            max(small_w, round(g.inner_width * cover / 2) * 2),
            max(small_h, round(g.inner_height * cover / 2) * 2),
        )
        fill = chain(
            graph,
            parts,
            0,
            [
                ("scale", f"{cw}:{ch}"),
                ("crop", f"{small_w}:{small_h}"),
                ("avgblur", "sizeX=6:planes=7"),
                ("scale", f"{g.width}:{g.height}"),
                ("setsar", "1"),
            ],
        )
        picture = chain(graph, parts, 1, [("scale", f"{g.inner_width}:{g.inner_height}"), ("setsar", "1")])
        on_top = graph.add("overlay", f"x={(g.width - g.inner_width) // 2}:y={(g.height - g.inner_height) // 2}")
        fill.link_to(on_top, 0, 0)
        picture.link_to(on_top, 0, 1)
        return [chain(graph, on_top, 0, [("setsar", "1"), ("format", self.plan.video.pixel_format)])]

    def consume(self, frame: Frame, sink: int) -> None:
        assert isinstance(frame, VideoFrame)
        self.frames += 1
        self.duration = self.frames / float(self.plan.rate)
        self.submit(self._encode, frame)

    def _encode(self, frame: VideoFrame | None) -> None:
        if frame is not None:
            if self.timecode is not None and frame.pts is not None and frame.time_base:
                burn_label(frame, self.timecode.at_seconds(float(frame.pts * frame.time_base)))
            frame.pict_type = PictureType.NONE
        self.muxer.mux(self.stream.encode(frame))

    def finish(self) -> None:
        self.submit(self._encode, None)


class PosterBranch(Branch):
    """Scores two candidate frames a second over the search window; keeps the best."""

    def __init__(self, plan: OutputPlan) -> None:
        super().__init__(plan)
        assert plan.image is not None
        self.picker = PosterPicker(plan.path, plan.image.quality)

    def steps(self) -> list[Step]:
        assert self.plan.image is not None and self.plan.geometry is not None
        return [
            ("trim", f"end={self.plan.image.search_seconds}"),
            ("fps", "fps=2"),
            *geometry(self.plan.geometry),
            ("format", "yuv420p"),
        ]

    def consume(self, frame: Frame, sink: int) -> None:
        assert isinstance(frame, VideoFrame)
        self.picker.offer(frame)
        self.frames += 1

    def finish(self) -> None:
        self.picker.write()
