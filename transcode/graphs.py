"""Build the filter graphs of a render: shared heads, then one branch per output.

Video::

    buffer ─ split ─┬─ branches on the RAW route (interlaced outputs keeping the source's fields)
                    └─ [bwdif] [rotate] ─ split ─ branches on the PROGRESSIVE route
                       (progressive outputs, posters, and interlaced outputs woven from 50/60p)

On the progressive route, outputs at one picture rate share one ``fps`` and a cascade of scales
(1080 → 720 → 360: each size made once, from the smallest picture that covers it), so that shared
work is done once; posters, analysis and blurred-pad framing take the head's pictures.

Audio::

    abuffer per source stream ─┬─ programme mix (pair / mono / downmix) ─ 48 kHz ─ split ─ MIX branches
                               └─ every channel, in order ─ 48 kHz ─ split ─ CHANNELS branches (tracks)

Each branch builds its own chain from its pad of a split and returns the tails that end in sinks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import av
import av.filter
from av.audio.stream import AudioStream
from av.filter.context import FilterContext
from av.video.frame import VideoFrame

from transcode.audiomix import USUAL_LAYOUTS, add_sources, mix_head
from transcode.plan import Geometry, RenderPlan

__all__ = [
    "BranchBuilder",
    "BuiltGraph",
    "Step",
    "build_audio_graph",
    "build_video_graph",
    "chain",
    "gain_steps",
    "geometry",
    "known_channel_names",
    "scale_cascade",
]

Step = tuple[str, str]
"""One filter: (name, argument string built from numbers)."""

_ROTATE: dict[int, list[Step]] = {
    90: [("transpose", "clock")],
    180: [("hflip", ""), ("vflip", "")],
    270: [("transpose", "cclock")],
}


class BranchBuilder(Protocol):
    route: str
    """``raw`` or ``progressive`` (video); ``mix`` or ``channels`` (audio)."""

    def build(self, graph: av.filter.Graph, upstream: FilterContext, pad: int) -> list[FilterContext]:
        """Add this branch's filters after ``upstream``'s output ``pad``; return the tails to sink."""
        ...

    def shared_input(self) -> tuple[Fraction, int, int] | None:
        """(pictures a second, width, height) the branch can take from shared rate and scaling
        steps (progressive video), or None."""
        ...

    def build_shared(self, graph: av.filter.Graph, upstream: FilterContext, pad: int) -> list[FilterContext]:
        """Like :meth:`build`, after the shared steps (``upstream`` is at the rate and size asked)."""
        ...


@dataclass
class BuiltGraph:
    graph: av.filter.Graph
    inputs: list[FilterContext]
    sinks: list[list[FilterContext]]
    """Per branch, in the order the branches were given."""


def chain(
    graph: av.filter.Graph,
    upstream: FilterContext,
    pad: int,
    steps: Sequence[Step],
    passthrough: str = "null",
) -> FilterContext:
    """Link ``steps`` after output ``pad`` of ``upstream``; with no steps, a ``passthrough`` node."""
    current, out_pad = upstream, pad
    for name, args in steps:
        node = graph.add(name, args) if args else graph.add(name)
        current.link_to(node, out_pad, 0)
        current, out_pad = node, 0
    if out_pad != 0:  # no steps: make the split's pad a node of its own
        node = graph.add(passthrough)
        current.link_to(node, out_pad, 0)
        current = node
    return current


def geometry(g: Geometry, interlaced: bool = False) -> list[Step]:
    """Scale (and pad or crop) to the output frame with square pixels; field-aware if interlaced."""
    interl = ":interl=1" if interlaced else ""
    steps: list[Step] = [("scale", f"{g.inner_width}:{g.inner_height}{interl}"), ("setsar", "1")]
    if g.fit == "pad":
        x, y = (g.width - g.inner_width) // 4 * 2, (g.height - g.inner_height) // 4 * 2
        steps.append(("pad", f"{g.width}:{g.height}:{x}:{y}:black"))
    elif g.fit == "crop":
        steps.append(("crop", f"{g.width}:{g.height}"))
    return steps


def gain_steps(gain_db: float, true_peak_db: float) -> list[Step]:
    """Linear gain, then a limiter run at 4x the sample rate so that true peaks stay under the limit."""
    limit = 10 ** ((true_peak_db - 0.3) / 20)
    return [
        ("volume", f"volume={gain_db:.3f}dB:precision=float"),
        ("aresample", "192000"),
        ("alimiter", f"limit={limit:.5f}:attack=5:release=50:level=disabled:latency=1"),
        ("aresample", "48000"),
    ]


def known_channel_names(count: int) -> list[str]:
    layout = av.AudioLayout(USUAL_LAYOUTS[count])
    return [channel.name for channel in layout.channels]


def _fan_out(
    graph: av.filter.Graph, head: FilterContext, branches: Sequence[BranchBuilder], split: str, sink: str
) -> list[list[FilterContext]]:
    splitter = graph.add(split, str(len(branches)))
    head.link_to(splitter, 0, 0)
    result = []
    for index, branch in enumerate(branches):
        tails = branch.build(graph, splitter, index)
        sinks = []
        for tail in tails:
            end = graph.add(sink)
            tail.link_to(end, 0, 0)
            sinks.append(end)
        result.append(sinks)
    return result


def build_video_graph(
    first: VideoFrame, time_base: Fraction, plan: RenderPlan, branches: Sequence[BranchBuilder]
) -> BuiltGraph:
    """Graph for frames shaped like ``first``; its filters use the plan's threads."""
    graph = av.filter.Graph()
    graph.threads = plan.threads
    source = graph.add_buffer(width=first.width, height=first.height, format=first.format, time_base=time_base)
    raw = [b for b in branches if b.route == "raw"]
    progressive = [b for b in branches if b.route == "progressive"]
    routes = len(raw) + (1 if progressive else 0)
    splitter = graph.add("split", str(routes))
    trimmed = chain(graph, source, 0, [("trim", f"start=0:end={plan.span.duration}")] if plan.span else [])
    trimmed.link_to(splitter, 0, 0)
    sinks: dict[int, list[FilterContext]] = {}
    for index, branch in enumerate(raw):
        tails = branch.build(graph, splitter, index)
        sinks[id(branch)] = []
        for tail in tails:
            end = graph.add("buffersink")
            tail.link_to(end, 0, 0)
            sinks[id(branch)].append(end)
    if progressive:
        head_steps: list[Step] = []
        if plan.deinterlace:
            head_steps.append(("bwdif", "mode=send_frame:parity=auto:deint=all"))
        head_steps += _ROTATE.get(plan.rotation % 360, [])
        head = chain(graph, splitter, len(raw), head_steps)
        video = plan.info.primary_video
        upright = (video.display_width, video.display_height) if video else (first.width, first.height)
        for key, tails in _progressive(graph, head, progressive, upright).items():
            sinks[key] = [_sink(graph, tail, "buffersink") for tail in tails]
    graph.configure()
    return BuiltGraph(graph, [source], [sinks[id(b)] for b in branches])


def _sink(graph: av.filter.Graph, tail: FilterContext, name: str) -> FilterContext:
    end = graph.add(name)
    tail.link_to(end, 0, 0)
    return end


def _outlets(graph: av.filter.Graph, node: FilterContext, count: int) -> list[tuple[FilterContext, int]]:
    """``count`` (context, pad) outputs carrying ``node``'s pictures (a split when more than one)."""
    if count <= 1:
        return [(node, 0)]
    splitter = graph.add("split", str(count))
    node.link_to(splitter, 0, 0)
    return [(splitter, pad) for pad in range(count)]


def _progressive(
    graph: av.filter.Graph, head: FilterContext, branches: Sequence[BranchBuilder], upright: tuple[int, int]
) -> dict[int, list[FilterContext]]:
    """Branches that take shared steps get one ``fps`` per picture rate and a cascade of scales: each
    smaller size is made once, from the smallest picture already made that covers it (1080 → 720 →
    360), and every branch of that size takes it; the others build their own chain from the head."""
    sharing: dict[Fraction, list[tuple[BranchBuilder, tuple[int, int]]]] = {}
    own = []
    for branch in branches:
        wanted = branch.shared_input()
        if wanted is None:
            own.append(branch)
        else:
            sharing.setdefault(wanted[0], []).append((branch, (wanted[1], wanted[2])))
    outlets = iter(_outlets(graph, head, len(own) + len(sharing)))
    tails: dict[int, list[FilterContext]] = {}
    for branch in own:
        tails[id(branch)] = branch.build(graph, *next(outlets))
    for rate, group in sharing.items():
        timed = chain(graph, *next(outlets), [("fps", f"fps={rate.numerator}/{rate.denominator}")])
        tails |= _cascade(graph, timed, group, upright)
    return tails


Size = tuple[int, int]


def scale_cascade(sizes: Sequence[Size], upright: Size) -> dict[Size, Size | None]:
    """For each size smaller than the ``upright`` picture, the size it is scaled from: the smallest
    one already made that covers it, or None for the picture itself. Sizes not smaller than the
    picture are left out (their branches scale the picture themselves)."""
    parent: dict[Size, Size | None] = {}
    for size in sorted(set(sizes), key=lambda s: s[0] * s[1], reverse=True):
        if size[0] >= upright[0] or size[1] >= upright[1]:
            continue
        covering = [p for p in parent if p[0] >= size[0] and p[1] >= size[1]]
        parent[size] = min(covering, key=lambda p: p[0] * p[1]) if covering else None
    return parent


def _cascade(
    graph: av.filter.Graph,
    root: FilterContext,
    group: list[tuple[BranchBuilder, tuple[int, int]]],
    upright: tuple[int, int],
) -> dict[int, list[FilterContext]]:
    """The scale tree of :func:`scale_cascade` as filters, each branch on the node of its size."""
    parent = scale_cascade([size for _, size in group], upright)
    users: dict[tuple[int, int] | None, list[object]] = {}
    for branch, size in group:
        users.setdefault(size if size in parent else None, []).append(branch)
    for size, above in parent.items():
        users.setdefault(above, []).append(size)
    tails: dict[int, list[FilterContext]] = {}

    def feed(node: FilterContext, at: tuple[int, int] | None) -> None:
        consumers = users.get(at, [])
        for consumer, (ctx, pad) in zip(consumers, _outlets(graph, node, len(consumers)), strict=True):
            if isinstance(consumer, tuple):
                width, height = consumer
                feed(chain(graph, ctx, pad, [("scale", f"{width}:{height}"), ("setsar", "1")]), consumer)
            else:
                branch = next(b for b, _ in group if b is consumer)
                tails[id(branch)] = branch.build_shared(graph, ctx, pad)

    feed(root, None)
    return tails


SILENCE_RATE = 48000


def build_audio_graph(
    streams: Sequence[AudioStream], plan: RenderPlan, branches: Sequence[BranchBuilder]
) -> BuiltGraph:
    """Sources are ``streams`` (every source audio stream, in order); with none, a single mono
    input that the caller feeds with silence (for outputs whose tracks must exist regardless)."""
    graph = av.filter.Graph()
    if streams:
        sources = add_sources(graph, streams)
        described = [(s.index, s.layout.nb_channels) for s in streams]
    else:
        sources = [
            graph.add_abuffer(
                format="s16", layout="mono", sample_rate=SILENCE_RATE, time_base=Fraction(1, SILENCE_RATE)
            )
        ]
        described = [(-1, 1)]
    mix_branches = [b for b in branches if b.route == "mix"]
    channel_branches = [b for b in branches if b.route == "channels"]
    mix_indexes = set(plan.audio_source.stream_indexes) if plan.audio_source and mix_branches else set()
    taps: dict[tuple[str, int], FilterContext] = {}
    for (index, _), source in zip(described, sources, strict=True):
        uses = [use for use, wanted in (("mix", index in mix_indexes), ("channels", bool(channel_branches))) if wanted]
        if not uses:
            continue
        splitter = graph.add("asplit", str(len(uses)))
        trimmed = chain(
            graph, source, 0, [("atrim", f"start=0:end={plan.span.duration}")] if plan.span else [], passthrough="anull"
        )
        trimmed.link_to(splitter, 0, 0)
        for pad, use in enumerate(uses):
            taps[(use, index)] = chain(graph, splitter, pad, [("anull", "")])
    sinks: dict[int, list[FilterContext]] = {}
    if mix_branches and plan.audio_source is not None:
        head = mix_head(graph, [taps[("mix", i)] for i in plan.audio_source.stream_indexes], plan.audio_source.mode)
        for branch, tails in zip(
            mix_branches, _fan_out(graph, head, mix_branches, "asplit", "abuffersink"), strict=True
        ):
            sinks[id(branch)] = tails
    if channel_branches:
        joined = _all_channels(graph, [taps[("channels", i)] for i, _ in described], [n for _, n in described])
        head = chain(graph, joined, 0, [("aresample", "48000")])
        for branch, tails in zip(
            channel_branches, _fan_out(graph, head, channel_branches, "asplit", "abuffersink"), strict=True
        ):
            sinks[id(branch)] = tails
    graph.configure()
    return BuiltGraph(graph, sources, [sinks[id(b)] for b in branches])


def _all_channels(graph: av.filter.Graph, taps: Sequence[FilterContext], counts: Sequence[int]) -> FilterContext:
    """Every channel of every stream, in order, as one stream (at most 8 channels are kept)."""
    if len(taps) == 1:
        return taps[0]
    total = min(8, sum(counts))
    names = known_channel_names(total)
    mapping, position = [], 0
    for index, count in enumerate(counts):
        for channel in range(count):
            if position < total:
                mapping.append(f"{index}.{channel}-{names[position]}")
            position += 1
    joined = graph.add("join", f"inputs={len(taps)}:channel_layout={USUAL_LAYOUTS[total]}:map={'|'.join(mapping)}")
    for index, tap in enumerate(taps):
        tap.link_to(joined, 0, index)
    return joined
