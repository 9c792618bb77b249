"""Output profiles as a client sees them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mam.public.assets import MediaKind
from transcode.profiles import Profile

__all__ = ["ProfilePublic"]


class ProfilePublic(BaseModel):
    name: str
    description: str
    container: str
    extension: str
    applies_to: list[MediaKind]
    video: dict[str, Any] | None
    audio: dict[str, Any] | None
    image: dict[str, Any] | None

    @classmethod
    def of(cls, p: Profile) -> ProfilePublic:
        return cls(
            name=p.name,
            description=p.description,
            container=p.container,
            extension=p.extension,
            applies_to=[MediaKind(k) for k in p.applies_to],
            video=p.video.model_dump() if p.video else None,
            audio=p.audio.model_dump() if p.audio else None,
            image=p.image.model_dump() if p.image else None,
        )
