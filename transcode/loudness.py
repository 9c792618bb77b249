"""Programme loudness per ITU-R BS.1770 (integrated, range, true peak), measured with ebur128.

Used twice around a render: on the source (pass one, to compute each output's gain) and on every
output (to check it landed on its target). Only audio is decoded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import av.filter
from av.audio.frame import AudioFrame

from transcode.audiomix import add_sources, audio_source, mix_head
from transcode.errors import UnreadableMediaError
from transcode.inputs import label, open_input
from transcode.mediainfo import MediaInfo

__all__ = ["Loudness", "measure_programme"]


@dataclass(frozen=True)
class Loudness:
    integrated: float
    """Integrated loudness, LUFS (= LKFS)."""
    range: float
    """Loudness range, LU."""
    true_peak: float
    """Highest true peak over all channels, dBTP."""

    def to_dict(self) -> dict[str, float]:
        return {
            "integrated": round(self.integrated, 2),
            "range": round(self.range, 2),
            "true_peak": round(self.true_peak, 2),
        }


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -144.0


def measure_programme(
    path: Path, info: MediaInfo, observe: Callable[[AudioFrame], None] | None = None
) -> Loudness | None:
    """Loudness of ``path``'s programme mix (the same mix the renditions get); None without audio.

    ``observe`` is handed every frame of the mix (sound QC rides this pass)."""
    mix = audio_source(info)
    if mix is None:
        return None
    with open_input(path) as container:
        by_index = {s.index: s for s in container.streams.audio}
        streams = [by_index[i] for i in mix.stream_indexes]
        graph = av.filter.Graph()
        sources = add_sources(graph, streams)
        meter = graph.add("ebur128", "peak=true:metadata=1")
        mix_head(graph, sources, mix.mode).link_to(meter, 0, 0)
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

        try:
            for packet in container.demux(streams):
                for frame in packet.decode():
                    assert isinstance(frame, AudioFrame)
                    sources[streams.index(packet.stream)].push(frame)  # type: ignore[arg-type]
                    drain()
        except av.error.FFmpegError as exc:
            raise UnreadableMediaError(f"{label(path)}: the audio cannot be decoded ({exc})") from exc
        for source in sources:
            source.push(None)
        drain()
    if "lavfi.r128.I" not in last:
        return None
    return Loudness(
        integrated=float(last["lavfi.r128.I"]),
        range=float(last.get("lavfi.r128.LRA", "0")),
        true_peak=_db(float(last.get("lavfi.r128.true_peak", "0"))),
    )
