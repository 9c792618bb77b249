"""The programme mix: which source tracks become the stereo mix, and the graph nodes that make it.

Shared by the render graphs and the loudness meter, so that what is measured is what is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import av.filter
from av.audio.stream import AudioStream
from av.filter.context import FilterContext

from transcode.mediainfo import MediaInfo

__all__ = [
    "MIX_FORMAT",
    "USUAL_LAYOUTS",
    "AudioSource",
    "add_sources",
    "audio_source",
    "known_layout",
    "meter_head",
    "mix_head",
]

USUAL_LAYOUTS = {
    1: "mono",
    2: "stereo",
    3: "2.1",
    4: "quad",
    5: "5.0",
    6: "5.1",
    7: "6.1",
    8: "7.1",
    16: "hexadecagonal",
}


@dataclass(frozen=True)
class AudioSource:
    """Which source audio streams make the programme mix, and how."""

    stream_indexes: tuple[int, ...]
    mode: str
    """``downmix`` (one stream of 2+ channels), ``pair`` (two mono tracks → L/R), ``mono`` (one → both)."""


def audio_source(info: MediaInfo) -> AudioSource | None:
    """How to make the programme mix from ``info``'s audio streams (None: no audio)."""
    if not info.audio:
        return None
    first = info.audio[0]
    if first.channels >= 2:
        return AudioSource((first.index,), "downmix")
    monos = [a for a in info.audio if a.channels == 1]
    if len(monos) >= 2:
        return AudioSource((monos[0].index, monos[1].index), "pair")
    return AudioSource((first.index,), "mono")


def known_layout(stream: AudioStream) -> str:
    """The stream's channel layout, or the usual one for its channel count when it has none.

    MXF and some MOV files carry PCM tracks with an unspecified order ("1 channels"), which the
    resampler cannot map; a mono track is mono, two channels are stereo, six are 5.1.
    """
    layout = stream.layout
    if layout.name.endswith("channels"):
        return USUAL_LAYOUTS.get(layout.nb_channels, layout.name)
    return layout.name


def add_sources(graph: av.filter.Graph, streams: Sequence[AudioStream]) -> list[FilterContext]:
    """One abuffer per stream, each with a channel layout the filters can map."""
    return [
        graph.add_abuffer(format=s.format.name, layout=known_layout(s), sample_rate=s.rate, time_base=s.time_base)
        for s in streams
    ]


MIX_FORMAT = "sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"
"""The programme mix's format, fixed here so that the meter and the render negotiate the same
conversions (the resampler normalises a downmix differently for other sample formats)."""


def mix_head(graph: av.filter.Graph, sources: Sequence[FilterContext], mode: str) -> FilterContext:
    """The stereo programme mix of ``sources`` (the streams named by the AudioSource), 48 kHz float."""
    if mode == "pair":
        head = graph.add("join", "inputs=2:channel_layout=stereo:map=0.0-FL|1.0-FR")
        for index, source in enumerate(sources[:2]):
            source.link_to(head, 0, index)
    elif mode == "mono":
        head = graph.add("pan", "stereo|c0=c0|c1=c0")
        sources[0].link_to(head, 0, 0)
    else:
        head = graph.add("aresample", "48000")
        sources[0].link_to(head, 0, 0)
    fixed = graph.add("aformat", MIX_FORMAT)
    head.link_to(fixed, 0, 0)
    return fixed


def meter_head(graph: av.filter.Graph, sources: Sequence[FilterContext], mode: str) -> FilterContext:
    """What the loudness meter measures: the programme mix, except that a mono source stays one
    channel (BS.1770 sums the channels' power, so the same channel on both sides of a pair reads
    3.01 LU louder than the source is)."""
    if mode != "mono":
        return mix_head(graph, sources, mode)
    fixed = graph.add("aformat", MIX_FORMAT.replace("channel_layouts=stereo", "channel_layouts=mono"))
    sources[0].link_to(fixed, 0, 0)
    return fixed
