"""Bit rates of a finished output, counted from its packets, and judged against the profile.

A rate-controlled encoder keeps any T seconds of its stream within ``max rate x T + buffer`` (the
VBV model), and a constant-rate one above ``rate x T - buffer``: those are the bounds checked, so
that simple pictures that need few bits never count as a failure.
"""

from __future__ import annotations

from pathlib import Path

import av

from transcode.branches import vbv_buffer_bits
from transcode.profiles import AudioSpec, VideoSpec

__all__ = ["audio_rate_problem", "stream_bits", "video_rate_problem"]

_LOSSY_AUDIO_SLACK = 1.2
"""Lossy audio encoders aim at their bit rate; this much above it (over a whole file) is a fault."""
_PCM_BITS = {"pcm_s24le": 24, "pcm_s16le": 16}


def stream_bits(path: Path) -> dict[int, int]:
    """Bits of payload per stream index (packets only: container overhead is not counted)."""
    bits: dict[int, int] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size:
                bits[packet.stream.index] = bits.get(packet.stream.index, 0) + 8 * packet.size
    return bits


def _rate(bits: float, seconds: float) -> str:
    return f"{bits / max(seconds, 1e-3) / 1e6:.2f} Mb/s"


def video_rate_problem(spec: VideoSpec, bits: int, seconds: float) -> str | None:
    """Why ``bits`` over ``seconds`` cannot come from an encoder held to ``spec`` (None: it can)."""
    buffer = vbv_buffer_bits(spec) or 0
    ceiling = spec.max_bitrate or (spec.bitrate if spec.constant_bitrate else None)
    if ceiling is not None and bits > ceiling * seconds + buffer:
        return f"video is {_rate(bits, seconds)}, above the {ceiling / 1e6:g} Mb/s the profile allows"
    if spec.constant_bitrate and bits < spec.bitrate * seconds - buffer:
        return f"video is {_rate(bits, seconds)}, below the constant {spec.bitrate / 1e6:g} Mb/s of the profile"
    return None


def audio_rate_problem(spec: AudioSpec, bits: int, seconds: float, channels: int) -> str | None:
    """PCM is exactly rate x depth x channels; lossy audio may not run far above its bit rate."""
    if seconds <= 0:
        return None
    if spec.codec in _PCM_BITS:
        wanted = spec.sample_rate * _PCM_BITS[spec.codec] * channels
        if abs(bits / seconds - wanted) > 0.02 * wanted:
            return f"PCM audio is {bits / seconds / 1e3:.0f} kb/s, not {wanted / 1e3:.0f} kb/s"
        return None
    # one codec frame (at most 1152 samples) may stand beyond the measured duration
    allowed = spec.bitrate * _LOSSY_AUDIO_SLACK * (seconds + 1152 / spec.sample_rate)
    if bits > allowed:
        return f"audio is {bits / seconds / 1e3:.0f} kb/s, above the profile's {spec.bitrate / 1e3:.0f} kb/s"
    return None
