"""Asking an asset for renditions later (``POST /api/v1/assets/{id}/renditions``, ``mam render``) and
retrying it (``POST /api/v1/assets/{id}/retry``): what was asked and what was queued."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mam.models import JobLane
from mam.public.jobs import JobPublic

if TYPE_CHECKING:
    from mam.jobs.requests import RenditionRequest

__all__ = ["LANE_FIELD", "RenditionsCreate", "RenditionsRequested", "RetryCreate"]

ProfileName = Annotated[str, StringConstraints(min_length=1, max_length=64)]

LANE_FIELD = (
    "the job's lane: urgent (breaking news: the next free worker slot takes it), normal (default) or bulk "
    "(archive imports, backfills: taken when nothing more urgent waits)"
)


class RenditionsCreate(BaseModel):
    """The profiles to make of the asset (see ``GET /api/v1/profiles``)."""

    model_config = ConfigDict(extra="forbid")

    profiles: list[ProfileName] = Field(min_length=1, max_length=50, examples=[["vertical", "radio"]])
    lane: JobLane = Field(JobLane.NORMAL, description=LANE_FIELD)


class RetryCreate(BaseModel):
    """How to retry (an empty body, or none, retries in the normal lane)."""

    model_config = ConfigDict(extra="forbid")

    lane: JobLane = Field(JobLane.NORMAL, description=LANE_FIELD)


class RenditionsRequested(BaseModel):
    """What the request queued: one job for the profiles the asset lacked, or none."""

    asset_id: str
    job: JobPublic | None = Field(description="the job making ``queued``; null when nothing was missing")
    queued: list[str] = Field(description="profiles the job makes")
    present: list[str] = Field(description="asked for and already made from the current original")
    pending: list[str] = Field(description="asked for and already in a queued or running job")

    @classmethod
    def of(cls, asked: RenditionRequest) -> RenditionsRequested:
        return cls(
            asset_id=asked.asset.id,
            job=JobPublic.of(asked.job) if asked.job is not None else None,
            queued=list(asked.queued),
            present=list(asked.present),
            pending=list(asked.pending),
        )
