"""Programme loudness per ITU-R BS.1770 (integrated, range, true peak), measured with ebur128.

Used twice around a render: on the source (pass one, to compute each output's gain) and on every
output (to check it landed on its target). Only audio is decoded.

A mono source is measured as BS.1770 defines it for one channel (what ffmpeg's ``ebur128`` and
``pyloudnorm`` report for it). The renditions carry it on both channels of a stereo pair, which a
meter reads 3.01 LU louder: that playback figure is kept apart as ``dual_mono``, and it is the one
the outputs' gain is computed from.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import av.filter
from av.audio.frame import AudioFrame
from av.filter.context import FilterContext

from transcode.audiomix import add_sources, audio_source, meter_head
from transcode.errors import UnreadableMediaError, media_reason
from transcode.inputs import label, open_input
from transcode.mediainfo import MediaInfo

__all__ = ["DUAL_MONO_LU", "Loudness", "measure_programme"]

_PAST_OUT_POINT = 0.5
"""Seconds read beyond a span's end, so that every stream has reached it."""
DUAL_MONO_LU = 10 * math.log10(2)
"""One channel played on both channels of a pair: twice the power in BS.1770's channel sum."""


@dataclass(frozen=True)
class Loudness:
    integrated: float
    """Integrated loudness, LUFS (= LKFS)."""
    range: float
    """Loudness range, LU."""
    true_peak: float
    """Highest true peak over all channels, dBTP."""
    dual_mono: float | None = None
    """A mono source only: its integrated loudness played as dual mono (the same channel on both
    sides of a stereo pair, as the renditions carry it), LUFS; ``integrated`` is the one-channel figure."""

    @property
    def playback(self) -> float:
        """The integrated loudness of the programme mix the renditions carry (stereo)."""
        return self.dual_mono if self.dual_mono is not None else self.integrated

    def to_dict(self) -> dict[str, float]:
        figures = {
            "integrated": round(self.integrated, 2),
            "range": round(self.range, 2),
            "true_peak": round(self.true_peak, 2),
        }
        if self.dual_mono is not None:
            figures["dual_mono"] = round(self.dual_mono, 2)
        return figures


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -144.0


def measure_programme(
    path: Path,
    info: MediaInfo,
    observe: Callable[[AudioFrame], None] | None = None,
    *,
    start: float = 0.0,
    end: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> Loudness | None:
    """Loudness of ``path``'s programme mix (the same mix the renditions get); None without audio.

    Only ``[start, end)`` seconds from the start of the file are measured (a sub-clip's span).
    ``observe`` is handed every frame of the mix (sound QC rides this pass); ``progress`` the share
    of the span read so far."""
    mix = audio_source(info)
    if mix is None:
        return None
    span = (end if end is not None else info.duration) - start
    with open_input(path) as container:
        origin = (container.start_time or 0) / av.time_base + start
        if start > 0:  # to the packet before the in-point; the trim drops what comes before it
            container.seek(int(origin * av.time_base), backward=True)
        by_index = {s.index: s for s in container.streams.audio}
        streams = [by_index[i] for i in mix.stream_indexes]
        graph = av.filter.Graph()
        sources = add_sources(graph, streams)
        trimmed = sources
        if start > 0 or end is not None:
            trimmed = [_trim(graph, source, span) for source in sources]
        meter = graph.add("ebur128", "peak=true:metadata=1")
        meter_head(graph, trimmed, mix.mode).link_to(meter, 0, 0)
        sink = graph.add("abuffersink")
        meter.link_to(sink, 0, 0)
        graph.configure()
        last: dict[str, str] = {}

        def drain() -> None:
            nonlocal last
            while True:
                try:
                    frame = sink.pull()
                except (av.error.BlockingIOError, av.error.EOFError):
                    return
                if frame.metadata:
                    last = dict(frame.metadata)
                if observe is not None:
                    assert isinstance(frame, AudioFrame)
                    observe(frame)

        reached = [0.0] * len(streams)
        reported = 0.0
        try:
            for packet in container.demux(streams):
                index = streams.index(packet.stream)  # type: ignore[arg-type]
                for frame in packet.decode():
                    assert isinstance(frame, AudioFrame)
                    if frame.pts is not None and frame.time_base is not None:
                        seconds = float(frame.pts * frame.time_base) - origin
                        frame.pts = round(seconds / frame.time_base)
                        reached[index] = max(reached[index], seconds)
                    with contextlib.suppress(av.error.EOFError):  # a trim that has ended takes no more
                        sources[index].push(frame)
                    drain()
                if progress is not None and min(reached) - reported >= 0.05 * span:
                    reported = min(reached)
                    progress(min(1.0, reported / max(span, 1e-3)))
                if end is not None and min(reached) >= span + _PAST_OUT_POINT:
                    break
        except av.error.FFmpegError as exc:
            raise UnreadableMediaError(f"{label(path)}: the audio cannot be decoded ({media_reason(exc)})") from exc
        for source in sources:
            with contextlib.suppress(av.error.EOFError):
                source.push(None)
        drain()
    if "lavfi.r128.I" not in last:
        return None
    integrated = float(last["lavfi.r128.I"])
    return Loudness(
        integrated=integrated,
        range=float(last.get("lavfi.r128.LRA", "0")),
        true_peak=_db(float(last.get("lavfi.r128.true_peak", "0"))),
        dual_mono=integrated + DUAL_MONO_LU if mix.mode == "mono" else None,
    )


def _trim(graph: av.filter.Graph, source: FilterContext, seconds: float) -> FilterContext:
    trim = graph.add("atrim", f"start=0:end={seconds}")
    source.link_to(trim, 0, 0)
    return trim
