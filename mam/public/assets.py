"""What an asset looks like from outside: summaries in lists, the full view, and what a client sends."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import object_session

from mam import limits
from mam.metadata.fields import CORE_FIELDS
from mam.models import Asset, AssetStatus, JobLane, Rendition, Tenant
from mam.public.jobs import JobPublic
from mam.public.values import CalendarDate, Number
from transcode.mediainfo import MediaInfo

if TYPE_CHECKING:
    from mam.catalog import AssetPage
    from mam.deletion import Deletion
    from mam.identity.principal import Principal

__all__ = [
    "AssetDeleted",
    "AssetList",
    "AssetPublic",
    "AssetStatus",
    "AssetSummary",
    "AssetUpdate",
    "ExportCreate",
    "MediaKind",
    "RenditionPublic",
]


class MediaKind(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


class RenditionPublic(BaseModel):
    profile: str
    content_type: str
    size: int
    duration: float
    width: int
    height: int
    seconds: float = Field(description="time spent making it, shared decode excluded")
    url: str
    created_at: AwareDatetime

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


def _owner_name(asset: Asset) -> str:
    """The display name of the asset's tenant, and only that: read once per session and tenant (kept in
    ``session.info``, since the identity map holds objects weakly and would read it again per asset)."""
    session = object_session(asset)
    if session is None:
        return asset.tenant_id
    names: dict[str, str] = session.info.setdefault("tenant_names", {})
    if asset.tenant_id not in names:
        tenant = session.get(Tenant, asset.tenant_id)
        names[asset.tenant_id] = (tenant.name if tenant is not None else "") or asset.tenant_id
    return names[asset.tenant_id]


class AssetSummary(BaseModel):
    id: str
    tenant_id: str
    title: str
    description: str
    tags: list[str]
    media_kind: MediaKind
    status: AssetStatus
    error: str | None
    original_filename: str
    size: int
    sha256: str
    duration: float | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    renditions: list[RenditionPublic]
    owner: str = Field("", description="the tenant that owns the asset")
    owner_name: str = Field(
        "", description="the display name of the tenant that owns the asset (its id when it has no name)"
    )
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
            media_kind=MediaKind(asset.media_kind),
            status=AssetStatus(asset.status),
            error=asset.error,
            original_filename=asset.original_filename,
            size=asset.size,
            sha256=asset.sha256,
            duration=asset.duration,
            created_at=asset.created_at,
            updated_at=asset.updated_at,
            renditions=[RenditionPublic.of(r) for r in asset.renditions if r.source_sha256 == asset.sha256],
            owner=asset.tenant_id,
            owner_name=_owner_name(asset),
        )

    @classmethod
    def of(cls, asset: Asset) -> AssetSummary:
        return cls(**cls.fields_of(asset))

    def seen_by(self, principal: Principal) -> Self:
        """What ``principal`` may see of it: the renditions its role reads (a newsroom tool is not told
        of the broadcast master it cannot fetch)."""
        readable = [r for r in self.renditions if principal.may_read_rendition(r.profile)]
        return self.model_copy(update={"renditions": readable})


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
    probe: MediaInfo | None = Field(description="technical description of the original (MediaInfo)")
    jobs: list[JobPublic] = Field(description="its jobs, for a caller whose role follows jobs (job:read)")
    original_url: str | None = Field(
        None, description="where the original file downloads, for a caller whose role reads originals"
    )
    duplicate: bool = Field(False, description="true when an upload matched content already in the catalog")

    @classmethod
    def of(cls, asset: Asset, duplicate: bool = False) -> AssetPublic:
        return cls(
            **cls.fields_of(asset),
            xxh3=asset.xxh3,
            content_type=asset.content_type,
            probe=MediaInfo.model_validate(asset.mediainfo) if asset.mediainfo else None,
            jobs=[JobPublic.of(j) for j in asset.jobs],
            original_url=f"/api/v1/assets/{asset.id}/original",
            duplicate=duplicate,
            **{name: getattr(asset, name) for name in (*CORE_FIELDS, "custom")},
        )

    def seen_by(self, principal: Principal) -> Self:
        """What ``principal`` may see of it: the renditions its role reads, its jobs only with ``job:read``,
        the original's address only with ``original:read``."""
        seen = super().seen_by(principal)
        update: dict[str, Any] = {}
        if not principal.can("job:read"):
            update["jobs"] = []
        if not principal.can("original:read"):
            update["original_url"] = None
        return seen.model_copy(update=update)


class AssetList(BaseModel):
    items: list[AssetSummary]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: AssetPage, viewer: str, principal: Principal | None = None) -> AssetList:
        """A page of assets as ``viewer`` sees them (``shared`` on those another tenant owns), trimmed to
        what ``principal`` may see (none: the local administrator, who sees everything)."""
        items = [AssetSummary.of(a).model_copy(update={"shared": a.tenant_id != viewer}) for a in page.items]
        if principal is not None:
            items = [item.seen_by(principal) for item in items]
        return cls(items=items, total=page.total, limit=page.limit, offset=page.offset)


class AssetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=limits.MAX_TITLE_CHARS)
    description: str | None = Field(None, max_length=limits.MAX_DESCRIPTION_CHARS)
    tags: list[Annotated[str, Field(max_length=limits.MAX_TAG_CHARS)]] | None = Field(None, max_length=limits.MAX_TAGS)
    programme: str | None = Field(None, max_length=limits.MAX_SHORT_FIELD_CHARS, description="栏目")
    reporter: str | None = Field(None, max_length=limits.MAX_SHORT_FIELD_CHARS)
    place: str | None = Field(None, max_length=limits.MAX_SHORT_FIELD_CHARS)
    shoot_date: CalendarDate | None = None
    rights: str | None = Field(None, max_length=500)
    rights_expiry: CalendarDate | None = None
    language: str | None = Field(None, max_length=35)
    custom: dict[str, Any] | None = Field(
        None, description="custom field values by name (null removes one); validated against the tenant's fields"
    )

    def descriptive(self) -> dict[str, Any]:
        """The descriptive fields (core and custom) this request sets."""
        return {name: getattr(self, name) for name in (*CORE_FIELDS, "custom") if name in self.model_fields_set}


class ExportCreate(BaseModel):
    """A sub-clip of the asset made with one profile; in and out as seconds or as timecodes."""

    model_config = ConfigDict(extra="forbid")

    profile: str
    start: Number | str | None = Field(None, description="in-point: seconds from the start, or HH:MM:SS:FF")
    end: Number | str | None = Field(None, description="out-point (exclusive): seconds or HH:MM:SS:FF")
    lane: JobLane = Field(
        JobLane.NORMAL, description="the job's lane: urgent, normal (default) or bulk; a free worker takes urgent first"
    )


class AssetDeleted(BaseModel):
    """What deleting an asset removed (a hard delete: nothing of it can be restored)."""

    asset_id: str
    renditions: int = Field(description="rendition rows removed")
    jobs: int = Field(description="job rows removed (a queued or running one was cancelled first)")
    cancelled_jobs: int = Field(description="jobs that were queued or running and were cancelled")
    shares: int = Field(description="tenants that lost read access")
    objects: int = Field(description="files removed from the store (original, renditions, analysis, exports)")

    @classmethod
    def of(cls, deletion: Deletion) -> AssetDeleted:
        return cls(
            asset_id=deletion.asset_id,
            renditions=deletion.renditions,
            jobs=deletion.jobs,
            cancelled_jobs=deletion.cancelled_jobs,
            shares=deletion.shares,
            objects=deletion.objects,
        )
