"""Check an HLS ladder: the master playlist names every rung, segments have the fixed length (so
keyframes are aligned across rungs), and each variant's init + segments decode as the profile says
(codec, size, frame rate, bit rate); the audio rendition's sample rate, loudness and true peak.

The playlists are our own output, read as text; their media is joined into one fragmented MP4
per variant and probed like any other output (the probe refuses playlists as input, rightly).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from transcode.loudness import Loudness, measure_programme
from transcode.mediainfo import MediaInfo
from transcode.plan import OutputPlan
from transcode.probe import probe
from transcode.verify_bits import stream_bits, video_rate_problem

__all__ = ["Variant", "read_master", "read_variant", "verify_ladder"]

_STREAM_INF = re.compile(r"#EXT-X-STREAM-INF:(?P<attrs>.*)\n(?P<uri>[^#\n]+)")
_AUDIO_MEDIA = re.compile(r'#EXT-X-MEDIA:TYPE=AUDIO,.*URI="(?P<uri>[^"]+)"')
_EXTINF = re.compile(r"#EXTINF:(?P<seconds>[0-9.]+),\n(?P<uri>[^#\n]+)")
_MAP = re.compile(r'#EXT-X-MAP:URI="(?P<uri>[^"]+)"')


@dataclass(frozen=True)
class Variant:
    playlist: Path
    init: Path
    segments: tuple[tuple[float, Path], ...]

    @property
    def seconds(self) -> float:
        return sum(length for length, _ in self.segments)

    def joined(self, folder: Path) -> Path:
        """Init and segments as one fragmented MP4 (what a player effectively reads)."""
        target = folder / f"{self.playlist.parent.name}.mp4"
        with target.open("wb") as out:
            for part in (self.init, *(path for _, path in self.segments)):
                out.write(part.read_bytes())
        return target


def read_master(master: Path) -> tuple[list[tuple[str, Path]], Path | None]:
    """[(RESOLUTION, variant playlist)] and the audio rendition's playlist, if any."""
    text = master.read_text(encoding="utf-8")
    variants = []
    for match in _STREAM_INF.finditer(text):
        size = re.search(r"RESOLUTION=(\d+x\d+)", match["attrs"])
        variants.append((size.group(1) if size else "", master.parent / match["uri"].strip()))
    audio = _AUDIO_MEDIA.search(text)
    return variants, (master.parent / audio["uri"]) if audio else None


def read_variant(playlist: Path) -> Variant:
    text = playlist.read_text(encoding="utf-8")
    init = _MAP.search(text)
    segments = tuple((float(m["seconds"]), playlist.parent / m["uri"].strip()) for m in _EXTINF.finditer(text))
    return Variant(playlist, playlist.parent / (init["uri"] if init else ""), segments)


def verify_ladder(plan: OutputPlan, expected: float, problems: list[str]) -> tuple[MediaInfo | None, Loudness | None]:
    """Append every mismatch to ``problems``; return the top rung's probe and the audio's loudness."""
    streaming = plan.profile.streaming
    assert streaming is not None
    variants, audio = read_master(plan.path)
    wanted = [f"{r.width}x{r.height}" for r in plan.rungs]
    if [size for size, _ in variants] != wanted:
        problems.append(f"the master playlist lists {[s for s, _ in variants]}, not {wanted}")
    frame = 1 / float(plan.rate) if plan.rate else 0.04
    top: MediaInfo | None = None
    loudness: Loudness | None = None
    with tempfile.TemporaryDirectory(prefix="hls-check-") as scratch:
        for (size, playlist), rung in zip(variants, plan.rungs, strict=False):
            variant = read_variant(playlist)
            inner = [length for length, _ in variant.segments[:-1]]
            if any(abs(length - streaming.segment_seconds) > frame / 2 for length in inner):
                problems.append(f"{size} segments are {inner}, not {streaming.segment_seconds:g} s each")
            if abs(variant.seconds - expected) > frame + 1e-6:
                problems.append(f"{size} lasts {variant.seconds:.3f} s, the source {expected:.3f} s")
            joined = variant.joined(Path(scratch))
            info = probe(joined)
            v = info.video[0] if info.video else None
            if v is None or (v.codec, v.width, v.height) != ("h264", rung.width, rung.height):
                problems.append(f"{size} decodes as {v and (v.codec, v.width, v.height)}")
            elif abs(v.frame_rate - float(rung.rate)) > 0.01:
                problems.append(f"{size} runs at {v.frame_rate:g} frames/s, not {float(rung.rate):g}")
            if v is not None and rung.video is not None:
                bits = stream_bits(joined).get(v.index, 0)
                rate_problem = video_rate_problem(rung.video, bits, variant.seconds)
                if rate_problem:
                    problems.append(f"{size}: {rate_problem}")
            top = top or info
        if plan.audio is not None:
            if audio is None:
                problems.append("the master playlist has no audio rendition")
            else:
                joined = read_variant(audio).joined(Path(scratch))
                heard = probe(joined)
                rates = [a.sample_rate for a in heard.audio]
                if plan.audio is not None and rates != [plan.audio.sample_rate]:
                    problems.append(f"the audio rendition is sampled at {rates} Hz, not {plan.audio.sample_rate} Hz")
                loudness = measure_programme(joined, heard)
    return top, loudness
