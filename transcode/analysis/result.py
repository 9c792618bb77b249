"""What an analysis found, as plain picklable data: images travel as file paths, never arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AnalysisResult", "Shot"]


@dataclass(frozen=True)
class Shot:
    number: int
    first_frame: int
    last_frame: int
    start: float
    end: float
    start_timecode: str
    end_timecode: str
    transition: str
    """How the shot begins: ``start`` (the first shot), ``cut``, ``dissolve`` or ``fade_in``."""
    transition_frames: int
    """Frames of a gradual transition at the head of the shot (0 for a cut)."""
    keyframe: Path | None = None
    keyframe_frame: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "first_frame": self.first_frame,
            "last_frame": self.last_frame,
            "start": round(self.start, 4),
            "end": round(self.end, 4),
            "start_timecode": self.start_timecode,
            "end_timecode": self.end_timecode,
            "transition": self.transition,
            "transition_frames": self.transition_frames,
            "keyframe_frame": self.keyframe_frame,
        }


@dataclass
class AnalysisResult:
    frames: int = 0
    rate: float = 0.0
    duration: float = 0.0
    shots: list[Shot] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    """Every cut, dissolve, fade out and fade in found, in time order (a fade out begins no shot)."""
    segments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """QC segments by detector name (``black``, ``freeze``)."""
    interlace: dict[str, Any] = field(default_factory=dict)
    audio: dict[str, Any] | None = None
    loudness: dict[str, float] | None = None
    sound: dict[str, Any] | None = None
    """Speech, music/other and silence over the whole programme (``transcode.analysis.speech``)."""
    poster: Path | None = None
    storyboard: list[Path] = field(default_factory=list)
    storyboard_vtt: Path | None = None
    storyboard_interval: float = 0.0
    seconds: float = 0.0
    """Time spent in the analysis branches (their own filters and numpy work)."""
    text: list[dict[str, Any]] | None = None
    """Lines of on-screen text (OCR: ``transcode.analysis.text``); None when text was not read."""
    text_stats: dict[str, Any] = field(default_factory=dict)
    """Samples looked at, read and lines recognised, and the reader thread's seconds."""

    def measurements(self) -> dict[str, Any]:
        """Everything a QC profile judges, so a report can be judged again without decoding."""
        return {
            "frames": self.frames,
            "rate": round(self.rate, 4),
            "duration": round(self.duration, 3),
            "black": self.segments.get("black", []),
            "freeze": self.segments.get("freeze", []),
            "transitions": self.transitions,
            "interlace": self.interlace,
            "audio": self.audio,
            "loudness": self.loudness,
            "sound": self.sound,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "shots": len(self.shots),
            "cuts": sum(s.transition == "cut" for s in self.shots),
            "dissolves": sum(t["kind"] == "dissolve" for t in self.transitions),
            "fades_out": sum(t["kind"] == "fade_out" for t in self.transitions),
            "fades_in": sum(t["kind"] == "fade_in" for t in self.transitions),
            "storyboard_tiles": round(self.duration / self.storyboard_interval) if self.storyboard_interval else 0,
            "seconds": round(self.seconds, 3),
            **({"text_lines": len(self.text), "text": self.text_stats} if self.text is not None else {}),
        }
