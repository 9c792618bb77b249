"""Speech-like sound made from scratch, for voice activity tests: no recording, no speech engine.

Voiced syllables are a glottal pulse train (Rosenberg pulses, with jitter, shimmer and a Mandarin-like
pitch contour per syllable) through a cascade of three formant resonators gliding from one vowel to
the next, shaped syllable by syllable (4-6 a second), after a fricative, a plosive burst, a nasal
murmur or nothing, with short pauses between phrases. Silero VAD scores these as speech (0.8-0.99 of
their 32 ms windows over a dozen seeds, at 0 and -20 dB), and a steady chord, piano-like notes, a
tone, noise and silence as not (under 0.01).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

__all__ = ["RATE", "chord", "piano", "programme_wav", "speech"]

RATE = 48000
_VOWELS = {
    "a": (800, 1200, 2500),
    "i": (280, 2250, 2900),
    "u": (320, 800, 2300),
    "e": (500, 1800, 2500),
    "o": (520, 900, 2400),
    "er": (500, 1400, 1700),
}
_NASAL = (250, 1000, 2200)

Samples = npt.NDArray[np.float64]


def _glottal(f0: Samples, rate: int, rng: np.random.Generator) -> Samples:
    """The differentiated glottal flow for a pitch contour ``f0`` (Hz per sample)."""
    flow = np.zeros(f0.size + rate // 40)
    at = 0.0
    while at < f0.size:
        period = rate / (f0[int(at)] * (1 + 0.01 * rng.standard_normal()))
        opening, closing = max(2, int(period * 0.45)), max(2, int(period * 0.2))
        pulse = np.concatenate(
            [
                0.5 * (1 - np.cos(np.pi * np.arange(opening) / opening)),
                np.cos(np.pi * np.arange(closing) / (2 * closing)),
            ]
        ) * (1 + 0.05 * rng.standard_normal())
        start = int(at)
        flow[start : start + pulse.size] += pulse[: flow.size - start]
        at += period
    return np.diff(flow[: f0.size], prepend=0.0)


def _formants(source: Samples, tracks: Samples, rate: int) -> Samples:
    """``source`` through three resonators whose frequencies follow ``tracks`` (n, 3), 2 ms at a time."""
    block = rate // 500
    out = source
    for k, bandwidth in enumerate((90, 110, 170)):
        state, filtered = np.zeros(2), np.empty_like(out)
        radius = np.exp(-np.pi * bandwidth / rate)
        for start in range(0, out.size, block):
            theta = 2 * np.pi * tracks[start, k] / rate
            a = [1.0, -2 * radius * np.cos(theta), radius * radius]
            filtered[start : start + block], state = lfilter([sum(a)], a, out[start : start + block], zi=state)
        out = filtered
    return out


def _noise(n: int, low: float, high: float, rate: int, rng: np.random.Generator) -> Samples:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequencies = np.fft.rfftfreq(n, 1 / rate)
    spectrum[(frequencies < low) | (frequencies > high)] = 0
    return np.fft.irfft(spectrum, n)


def _consonant(kind: str, rate: int, rng: np.random.Generator) -> Samples:
    if kind == "fricative":
        hiss = _noise(int(rng.uniform(0.06, 0.11) * rate), 3000, 7500, rate, rng)
        return 0.08 * hiss * np.hanning(hiss.size)
    if kind == "plosive":
        burst = int(0.03 * rate)
        decay = np.exp(-np.arange(burst) / (0.008 * rate))
        return np.concatenate([np.zeros(burst), 0.1 * _noise(burst, 1500, 6000, rate, rng) * decay])
    return np.zeros(0)


def speech(seconds: float, *, seed: int = 0, pitch: float = 150.0, rate: int = RATE) -> Samples:
    """``seconds`` of speech-like sound peaking at 0.3 (about -20 LUFS)."""
    rng = np.random.default_rng(seed)
    total, parts, names = int(seconds * rate), [], list(_VOWELS)
    made = 0
    while made < total:
        if rng.random() < 0.12:  # a pause between phrases
            parts.append(np.zeros(int(rng.uniform(0.08, 0.2) * rate)))
            made += parts[-1].size
            continue
        kind = str(rng.choice(["fricative", "plosive", "nasal", "none"]))
        consonant = _consonant(kind, rate, rng)
        n = int(rng.uniform(0.13, 0.26) * rate)
        x = np.linspace(0, 1, n)
        contour = (np.full(n, 1.15), 0.9 + 0.3 * x, 1.0 - 0.15 * np.sin(np.pi * x), 1.2 - 0.4 * x)[rng.integers(4)]
        source = _glottal(pitch * contour * rng.uniform(0.9, 1.1), rate, rng)
        source += 0.02 * np.abs(source).max() * rng.standard_normal(n)  # breath
        first, second = _VOWELS[str(rng.choice(names))], _VOWELS[str(rng.choice(names))]
        tracks = np.outer(1 - x, first) + np.outer(x, second)
        if kind == "nasal":
            tracks[: int(0.05 * rate)] = _NASAL
        vowel = _formants(source, tracks, rate)
        edge = np.minimum(1, np.minimum(np.arange(n), n - np.arange(n)) / (0.03 * rate))
        vowel = vowel * edge / (np.abs(vowel).max() + 1e-9) * rng.uniform(0.6, 1.0)
        parts += [consonant, vowel]
        made += consonant.size + n
    out = np.concatenate(parts)[:total]
    return np.asarray(0.3 * out / np.abs(out).max(), np.float64)


def chord(seconds: float, *, rate: int = RATE) -> Samples:
    """A steady C major chord with a second harmonic, about -20 dBFS."""
    t = np.arange(int(seconds * rate)) / rate
    wave = sum(np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t) for f in (261.63, 329.63, 392.0))
    return np.asarray(0.1 * wave, np.float64)


def piano(seconds: float, *, seed: int = 1, rate: int = RATE) -> Samples:
    """Three notes struck every half second, each decaying, with three harmonics."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n)
    notes = [261.63, 293.66, 329.63, 349.23, 392.0, 440.0, 493.88, 523.25]
    for start in range(0, n, rate // 2):
        t = np.arange(min(rate, n - start)) / rate
        for f in rng.choice(notes, 3, replace=False):
            out[start : start + t.size] += np.exp(-3 * t) * sum(np.sin(2 * np.pi * f * h * t) / h for h in (1, 2, 3))
    return np.asarray(0.25 * out / np.abs(out).max(), np.float64)


def programme_wav(path: Path, parts: list[tuple[str, float]], *, channels: int = 1, seed: int = 0) -> Path:
    """A WAV of ``parts`` in turn (``speech``, ``chord``, ``piano``, ``silence``; seconds each) at 48 kHz."""
    made = {
        "speech": lambda s, k: speech(s, seed=seed + k),
        "chord": lambda s, k: chord(s),
        "piano": lambda s, k: piano(s, seed=seed + k),
        "silence": lambda s, k: np.zeros(int(s * RATE)),
    }
    samples = np.concatenate([made[kind](seconds, k) for k, (kind, seconds) in enumerate(parts)]).astype(np.float32)
    layout = "mono" if channels == 1 else "stereo"
    data = np.repeat(samples[None, :], channels, axis=0)
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_f32le", rate=RATE, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data.T.reshape(1, -1)), "flt", layout)
        frame.sample_rate, frame.pts, frame.time_base = RATE, 0, Fraction(1, RATE)
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path
