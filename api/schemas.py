"""Request and response models of the HTTP API (``*Public`` out, ``*Update`` in)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mam.metadata.fields import CORE_FIELDS
from mam.models import Asset, Job, Rendition, Share

__all__ = [
    "AssetList",
    "AssetPublic",
    "AssetSummary",
    "AssetUpdate",
    "ExportCreate",
    "JobPublic",
    "ProfilePublic",
    "RenditionPublic",
    "ShareCreate",
    "SharePublic",
]


class RenditionPublic(BaseModel):
    profile: str
    content_type: str
    size: int
    duration: float
    width: int
    height: int
    seconds: float = Field(description="time spent making it, shared decode excluded")
    url: str
    created_at: datetime

    @classmethod
    def of(cls, rendition: Rendition) -> RenditionPublic:
        return cls(
            profile=rendition.profile,
            content_type=rendition.content_type,
            size=rendition.size,
            duration=rendition.duration,
            width=rendition.width,
            height=rendition.height,
            seconds=rendition.seconds,
            created_at=rendition.created_at,
            url=f"/api/v1/assets/{rendition.asset_id}/renditions/{rendition.profile}",
        )


class JobPublic(BaseModel):
    id: str
    asset_id: str
    kind: str
    profiles: list[str]
    state: str
    progress: float
    attempts: int
    error: str | None
    result: dict[str, Any]
    fps: float | None = Field(None, description="frames per second, while running")
    eta_seconds: float | None = Field(None, description="estimated seconds left, while running")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        running = job.state == "running"
        return cls(
            fps=job.result.get("fps") if running else None,
            eta_seconds=job.result.get("eta_seconds") if running else None,
            id=job.id,
            asset_id=job.asset_id,
            kind=job.kind,
            profiles=job.profiles,
            state=job.state,
            progress=job.progress,
            attempts=job.attempts,
            error=job.error,
            result=job.result,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class AssetSummary(BaseModel):
    id: str
    tenant_id: str
    title: str
    description: str
    tags: list[str]
    media_kind: str
    status: str
    error: str | None
    original_filename: str
    size: int
    sha256: str
    duration: float | None
    created_at: datetime
    updated_at: datetime
    renditions: list[RenditionPublic]
    owner: str = Field("", description="the tenant that owns the asset")
    shared: bool = Field(
        False, description="true when another tenant owns the asset and shares it with the caller: read-only"
    )

    @classmethod
    def fields_of(cls, asset: Asset) -> dict[str, Any]:
        return dict(
            id=asset.id,
            tenant_id=asset.tenant_id,
            title=asset.title,
            description=asset.description,
            tags=asset.tags,
            media_kind=asset.media_kind,
            status=asset.status,
            error=asset.error,
            original_filename=asset.original_filename,
            size=asset.size,
            sha256=asset.sha256,
            duration=asset.duration,
            created_at=asset.created_at,
            updated_at=asset.updated_at,
            renditions=[RenditionPublic.of(r) for r in asset.renditions if r.source_sha256 == asset.sha256],
            owner=asset.tenant_id,
        )

    @classmethod
    def of(cls, asset: Asset) -> AssetSummary:
        return cls(**cls.fields_of(asset))


class AssetPublic(AssetSummary):
    programme: str = Field("", description="栏目")
    reporter: str = ""
    place: str = ""
    shoot_date: date | None = None
    rights: str = ""
    rights_expiry: date | None = None
    language: str = ""
    custom: dict[str, Any] = Field(default_factory=dict, description="values of the tenant's custom fields")
    xxh3: str
    content_type: str | None
    probe: dict[str, Any] = Field(description="technical description of the original (MediaInfo)")
    jobs: list[JobPublic]
    duplicate: bool = Field(False, description="true when an upload matched content already in the catalog")

    @classmethod
    def of(cls, asset: Asset, duplicate: bool = False) -> AssetPublic:
        return cls(
            **cls.fields_of(asset),
            xxh3=asset.xxh3,
            content_type=asset.content_type,
            probe=asset.mediainfo,
            jobs=[JobPublic.of(j) for j in asset.jobs],
            duplicate=duplicate,
            **{name: getattr(asset, name) for name in (*CORE_FIELDS, "custom")},
        )


class AssetList(BaseModel):
    items: list[AssetSummary]
    total: int
    limit: int
    offset: int


class AssetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=100_000)
    tags: list[str] | None = None
    programme: str | None = Field(None, max_length=200, description="栏目")
    reporter: str | None = Field(None, max_length=200)
    place: str | None = Field(None, max_length=200)
    shoot_date: date | None = None
    rights: str | None = Field(None, max_length=500)
    rights_expiry: date | None = None
    language: str | None = Field(None, max_length=35)
    custom: dict[str, Any] | None = Field(
        None, description="custom field values by name (null removes one); validated against the tenant's fields"
    )

    def descriptive(self) -> dict[str, Any]:
        """The descriptive fields (core and custom) this request sets."""
        return {name: getattr(self, name) for name in (*CORE_FIELDS, "custom") if name in self.model_fields_set}


class ProfilePublic(BaseModel):
    name: str
    description: str
    container: str
    extension: str
    applies_to: list[str]
    video: dict[str, Any] | None
    audio: dict[str, Any] | None
    image: dict[str, Any] | None


class ExportCreate(BaseModel):
    """A sub-clip of the asset made with one profile; in and out as seconds or as timecodes."""

    model_config = ConfigDict(extra="forbid")

    profile: str
    start: float | str | None = Field(None, description="in-point: seconds from the start, or HH:MM:SS:FF")
    end: float | str | None = Field(None, description="out-point (exclusive): seconds or HH:MM:SS:FF")


class ShareCreate(BaseModel):
    """Tenants to grant read access to the asset (the caller must own it)."""

    model_config = ConfigDict(extra="forbid")

    tenants: list[str] = Field(min_length=1, description="tenant ids, e.g. counties of the province")


class SharePublic(BaseModel):
    asset_id: str
    tenant_id: str = Field(description="the tenant granted read access")
    created_at: datetime

    @classmethod
    def of(cls, share: Share) -> SharePublic:
        return cls(asset_id=share.asset_id, tenant_id=share.tenant_id, created_at=share.created_at)
