"""QC threshold profiles (data files in ``qc_profiles/``) and judging measurements against them.

A report lists each check with ``pass``, ``warn`` or ``fail``, the measured value and the limit;
the report's verdict is its worst check. Judging needs only :meth:`AnalysisResult.measurements`,
so a stored report can be judged again against another profile without decoding anything.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from transcode.errors import ProfileError

__all__ = ["QCProfile", "default_qc_profiles_dir", "judge", "load_qc_profile", "load_qc_profiles"]

Status = Literal["pass", "warn", "fail"]
_ORDER = {"pass": 0, "warn": 1, "fail": 2}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoudnessLimits(_Strict):
    target: float
    tolerance: float
    true_peak_max: float
    range_warn: float | None = None


class DurationLimits(_Strict):
    warn_seconds: float
    fail_seconds: float


class ClippingLimits(_Strict):
    warn_events: int
    fail_events: int


class InterlaceLimits(_Strict):
    mismatch: Literal["pass", "warn", "fail"] = "warn"


class SpeechLimits(_Strict):
    expected: bool = False
    """The programme is meant to hold speech (news, interviews): less than ``min_seconds`` of it is a warning."""
    min_seconds: float = 1.0


class QCProfile(_Strict):
    name: str
    title: str
    loudness: LoudnessLimits
    black: DurationLimits
    freeze: DurationLimits
    silence: DurationLimits
    clipping: ClippingLimits
    interlace: InterlaceLimits = InterlaceLimits()
    speech: SpeechLimits = SpeechLimits()


def default_qc_profiles_dir() -> Path:
    """The threshold profiles shipped with the project (``qc_profiles/`` beside ``transcode``)."""
    return Path(__file__).resolve().parent.parent.parent / "qc_profiles"


def load_qc_profile(path: Path) -> QCProfile:
    try:
        return QCProfile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ProfileError(f"QC profile {path.name} is invalid: {exc}") from exc


def load_qc_profiles(folder: Path | None = None) -> dict[str, QCProfile]:
    folder = folder or default_qc_profiles_dir()
    profiles = [load_qc_profile(p) for p in sorted(folder.glob("*.toml"))]
    return {p.name: p for p in profiles}


def _check(name: str, status: Status, value: Any, limit: str, detail: str = "") -> dict[str, Any]:
    return {"check": name, "status": status, "value": value, "limit": limit, "detail": detail}


def _longest(segments: list[dict[str, Any]] | None) -> tuple[float, dict[str, Any] | None]:
    if not segments:
        return 0.0, None
    worst = max(segments, key=lambda s: float(s["duration"]))
    return float(worst["duration"]), worst


def _durations(name: str, segments: list[dict[str, Any]] | None, limits: DurationLimits) -> dict[str, Any]:
    longest, worst = _longest(segments)
    status: Status = "fail" if longest >= limits.fail_seconds else "warn" if longest >= limits.warn_seconds else "pass"
    where = f"longest at {worst['start']:.2f}-{worst['end']:.2f} s" if worst else "none found"
    return _check(
        name,
        status,
        round(longest, 3),
        f"warn >= {limits.warn_seconds} s, fail >= {limits.fail_seconds} s",
        f"{len(segments or [])} stretch(es); {where}",
    )


def _loudness(measured: dict[str, float] | None, limits: LoudnessLimits) -> list[dict[str, Any]]:
    if measured is None:
        return [_check("loudness", "pass", None, "", "no audio")]
    low, high = limits.target - limits.tolerance, limits.target + limits.tolerance
    integrated = measured["integrated"]
    checks = [
        _check(
            "loudness",
            "pass" if low <= integrated <= high else "fail",
            integrated,
            f"{limits.target} ±{limits.tolerance} LUFS",
        ),
        _check(
            "true_peak",
            "pass" if measured["true_peak"] <= limits.true_peak_max else "fail",
            measured["true_peak"],
            f"<= {limits.true_peak_max} dBTP",
        ),
    ]
    if limits.range_warn is not None:
        lra = measured["range"]
        checks.append(
            _check("loudness_range", "warn" if lra > limits.range_warn else "pass", lra, f"<= {limits.range_warn} LU")
        )
    return checks


def _speech(sound: dict[str, Any] | None, heard: bool, limits: SpeechLimits) -> dict[str, Any]:
    """Speech where the profile expects it: none (or no sound at all) is a warning."""
    limit = f"expected: warn under {limits.min_seconds:g} s of speech"
    if sound is None:
        if heard:  # analysed before voice activity was listened for
            return _check("speech", "pass", None, limit, "not measured")
        return _check("speech", "warn", 0.0, limit, "no audio: the programme is expected to hold speech")
    spoken = float(sound.get("speech_seconds", 0.0))
    if spoken < limits.min_seconds:
        return _check("speech", "warn", spoken, limit, "no speech heard in a programme expected to hold it")
    pieces = sum(1 for s in sound.get("segments", []) if s.get("kind") == "speech")
    return _check("speech", "pass", spoken, limit, f"{pieces} stretch(es) of speech")


def judge(measurements: dict[str, Any], profile: QCProfile) -> dict[str, Any]:
    """A QC report of ``measurements`` against ``profile``."""
    checks = []
    if measurements.get("frames"):
        checks.append(_durations("black", measurements.get("black"), profile.black))
        checks.append(_durations("freeze", measurements.get("freeze"), profile.freeze))
        interlace = measurements.get("interlace") or {}
        declared, detected = interlace.get("declared", "unknown"), interlace.get("detected", "unknown")
        agree = detected == "unknown" or declared == detected or (declared == "unknown" and detected == "progressive")
        detail = "" if agree else f"the stream is flagged {declared} but its fields move {detected}"
        checks.append(
            _check(
                "field_order", "pass" if agree else profile.interlace.mismatch, detected, f"declared {declared}", detail
            )
        )
    audio = measurements.get("audio")
    if audio is not None:
        checks.append(_durations("silence", audio.get("silence"), profile.silence))
        events = int(audio.get("clipping_events", 0))
        limits = profile.clipping
        status: Status = "fail" if events >= limits.fail_events else "warn" if events >= limits.warn_events else "pass"
        checks.append(_check("clipping", status, events, f"warn >= {limits.warn_events}, fail >= {limits.fail_events}"))
    checks += _loudness(measurements.get("loudness"), profile.loudness) if audio is not None else []
    if profile.speech.expected:
        checks.append(_speech(measurements.get("sound"), audio is not None, profile.speech))
    verdict = max((c["status"] for c in checks), key=lambda s: _ORDER[s], default="pass")
    return {"profile": profile.name, "title": profile.title, "verdict": verdict, "checks": checks}
