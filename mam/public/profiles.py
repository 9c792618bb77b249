"""Output profiles as a client sees them: the profile's own typed tables (video, audio, loudness,
image, HLS ladder), so that a client reads what a rendition will be without parsing TOML."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mam.public.assets import MediaKind
from transcode.profiles import AudioSpec, ImageSpec, LoudnessSpec, Profile, StreamingSpec, VideoSpec

__all__ = ["ProfilePublic"]


class ProfilePublic(BaseModel):
    name: str
    description: str
    container: str
    extension: str
    applies_to: list[MediaKind] = Field(description="the media kinds it is made from")
    video: VideoSpec | None
    audio: AudioSpec | None
    loudness: LoudnessSpec | None = Field(None, description="the loudness target the audio is normalised to")
    image: ImageSpec | None
    streaming: StreamingSpec | None = Field(None, description="an HLS profile's ladder and segment length")

    @classmethod
    def of(cls, p: Profile) -> ProfilePublic:
        return cls(
            name=p.name,
            description=p.description,
            container=p.container,
            extension=p.extension,
            applies_to=[MediaKind(k) for k in p.applies_to],
            video=p.video,
            audio=p.audio,
            loudness=p.loudness,
            image=p.image,
            streaming=p.streaming,
        )
