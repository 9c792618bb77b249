"""The catalog's core: tenants, assets, their renditions and jobs, and shares between tenants."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mam.models.base import AssetStatus, Base, JobState, new_id, utcnow

__all__ = ["Asset", "Job", "Rendition", "Share", "Tenant"]


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id", name="fk_tenants_parent_id"), default=None)
    """The tenant above this one (the province above a county), if any."""


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sha256", name="uq_assets_tenant_sha256"),
        # SQLite: what a search reads of an asset (filters, facets, creation order) without its
        # row, where those columns lie after the probe's JSON (migration 0008). PostgreSQL keeps
        # large JSON out of line, and cannot put JSON in a B-tree.
        Index(
            "ix_assets_search_columns",
            "id",
            "status",
            "media_kind",
            "shoot_date",
            "duration",
            "created_at",
            "programme",
            "tags",
        ).ddl_if(dialect="sqlite"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    media_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AssetStatus.PROCESSING, index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    original_filename: Mapped[str] = mapped_column(String(500))
    original_key: Mapped[str] = mapped_column(String(1000))
    content_type: Mapped[str | None] = mapped_column(String(200), default=None)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    xxh3: Mapped[str] = mapped_column(String(16))
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    mediainfo: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Descriptive metadata (编目); see mam/metadata.
    programme: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reporter: Mapped[str] = mapped_column(String(200), default="", server_default="")
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    shoot_date: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    rights: Mapped[str] = mapped_column(String(500), default="", server_default="")
    rights_expiry: Mapped[date | None] = mapped_column(Date, default=None)
    language: Mapped[str] = mapped_column(String(35), default="", server_default="")
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # What the analysis heard (migration 0017): None until its sound was analysed; search speech:yes / speech:no.
    has_speech: Mapped[bool | None] = mapped_column(Boolean, default=None)

    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="Rendition.profile"
    )
    jobs: Mapped[list[Job]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="Job.created_at"
    )


class Rendition(Base):
    """A file made from an asset by a profile; made at most once per (asset, profile, source)."""

    __tablename__ = "renditions"
    __table_args__ = (
        UniqueConstraint("asset_id", "profile", "source_sha256", name="uq_renditions_asset_profile_source"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    profile: Mapped[str] = mapped_column(String(64))
    source_sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(1000))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    """Time spent making this rendition (its filters and encoder; the shared decode excluded)."""
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship(back_populates="renditions")


class Job(Base):
    """Work on an asset. The catalog is the source of truth; the broker only delivers job ids."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="render")
    profiles: Mapped[list[str]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # job lists, newest first
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The job policy's bookkeeping (mam/jobs/lifecycle.py, migration 0012):
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    """While running: when the worker's lease runs out unless its heartbeat extends it."""
    retry_at: Mapped[datetime | None] = mapped_column(default=None)
    """While queued after a failed attempt: not taken up before this moment (the backoff)."""
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    """Who runs (or last ran) the job: host and process id."""
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the job's last message was handed to the broker (for a delayed one: when it is due)."""
    message_id: Mapped[str | None] = mapped_column(String(64), default=None)
    """The broker's id of that message, to ask the broker whether it still holds it."""
    lane: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal", index=True)
    """urgent, normal or bulk (migration 0018): a free worker slot takes the highest lane's job first."""

    asset: Mapped[Asset] = relationship(back_populates="jobs")


class Share(Base):
    """Read access to one asset granted by its owner to another tenant (the province publishing to a county).

    A subscriber lists, searches, reads and downloads a shared asset; only the owner changes it.
    """

    __tablename__ = "asset_shares"
    __table_args__ = (UniqueConstraint("asset_id", "tenant_id", name="uq_asset_shares_asset_tenant"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    """The tenant granted read access."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
