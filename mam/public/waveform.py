"""An asset's waveform as the web page's audio player draws it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mam.waveform import Waveform

__all__ = ["WaveformPublic"]


class WaveformPublic(BaseModel):
    asset_id: str
    profile: str = Field(description="the rendition the sound was read from (proxy, else radio)")
    duration: float = Field(description="seconds of sound")
    peaks: list[float] = Field(description="the loudest sample of each equal stretch, 0..1 (none without sound)")

    @classmethod
    def of(cls, waveform: Waveform) -> WaveformPublic:
        found = waveform.peaks
        return cls(asset_id=waveform.asset_id, profile=waveform.profile, duration=found.duration, peaks=found.peaks)
