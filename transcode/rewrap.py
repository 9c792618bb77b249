"""Rewrap a clip that a camera keeps in separate essence files into one file, copying every packet.

A P2 card keeps each clip as one video MXF and one MXF per audio channel (``CONTENTS/VIDEO`` and
``CONTENTS/AUDIO``). :func:`rewrap` muxes them into one QuickTime file: nothing is decoded or
encoded, the essence is the camera's, bit for bit, and the start timecode is kept. The output is
bit-exact (no muxer version, no creation time), so the same clip rewrapped twice gives the same
bytes and the catalog can recognise it as a duplicate.

The inputs are untrusted: :func:`rewrap_isolated` runs it in the sandbox (a child process under
limits and a wall-clock timeout).
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer
from av.packet import Packet
from av.stream import Stream

from transcode.errors import UnreadableMediaError
from transcode.inputs import DEFAULT_ALLOWED_FORMATS, label, open_input
from transcode.sandbox.child import ProgressFn
from transcode.sandbox.runner import run_isolated

__all__ = ["rewrap", "rewrap_isolated"]

_BYTES_PER_SECOND = 20_000_000
"""The slowest copy speed allowed for in the timeout (packets are copied, so the disk sets the pace)."""


def rewrap(
    video: Path,
    audio: Sequence[Path],
    target: Path,
    allowed_formats: frozenset[str] = DEFAULT_ALLOWED_FORMATS,
) -> Path:
    """Mux the video stream of ``video`` and every audio stream of ``audio`` (in order) into ``target``
    (QuickTime). UnreadableMediaError if ``video`` has no video stream or an audio file no audio."""
    with ExitStack() as stack:
        source = stack.enter_context(open_input(video, allowed_formats))
        if not source.streams.video:
            raise UnreadableMediaError(f"{label(video)}: has no video stream to rewrap")
        picked: list[tuple[InputContainer, list[Stream]]] = [(source, [source.streams.video[0]])]
        for path in audio:
            container = stack.enter_context(open_input(path, allowed_formats))
            if not container.streams.audio:
                raise UnreadableMediaError(f"{label(path)}: has no audio stream to rewrap")
            picked.append((container, list(container.streams.audio)))
        out = stack.enter_context(av.open(str(target), "w", format="mov", options={"fflags": "+bitexact"}))
        mapping: dict[Stream, Stream] = {}
        for _, streams in picked:
            for stream in streams:
                mapping[stream] = out.add_stream_from_template(stream)
        timecode = source.metadata.get("timecode") or source.streams.video[0].metadata.get("timecode")
        if timecode:
            out.metadata["timecode"] = timecode
        merged = heapq.merge(*(_packets(c, s, n) for n, (c, s) in enumerate(picked)), key=lambda item: item[:2])
        for _, _, packet in merged:
            packet.stream = mapping[packet.stream]
            out.mux(packet)
    return target


def _packets(
    container: InputContainer, streams: list[Stream], order: int
) -> Iterator[tuple[Fraction, int, Packet[Stream]]]:
    """The packets of ``streams`` in decoding order, keyed by decoding time (then by input)."""
    for packet in container.demux(streams):
        if packet.dts is None or packet.time_base is None:
            continue  # the demuxer's end-of-stream marker
        yield Fraction(packet.dts) * packet.time_base, order, packet


def rewrap_isolated(
    video: Path,
    audio: Sequence[Path],
    target: Path,
    *,
    allowed_formats: frozenset[str] = DEFAULT_ALLOWED_FORMATS,
    memory_bytes: int | None = 2 << 30,
) -> Path:
    """:func:`rewrap` in a child process, with a timeout of a minute plus the time to copy the bytes at
    20 MB/s; raises TranscodeError (or OSError) saying why it failed."""
    size = sum(p.stat().st_size for p in (video, *audio))
    work = functools.partial(_rewrap_in_child, video, tuple(audio), target, allowed_formats)
    task = f"rewrapping {label(video)} with {len(audio)} audio file(s)"
    return run_isolated(work, timeout=60.0 + size / _BYTES_PER_SECOND, memory_bytes=memory_bytes, task=task)


def _rewrap_in_child(
    video: Path, audio: tuple[Path, ...], target: Path, allowed: frozenset[str], progress: ProgressFn
) -> Path:
    return rewrap(video, audio, target, allowed)
