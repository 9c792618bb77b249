"""Catalog tables: Tenant, Asset, Rendition, Job, AuditEntry... (SQLAlchemy 2, typed)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ApiKey",
    "Asset",
    "AssetAnalysis",
    "AssetStatus",
    "Base",
    "FieldDefinition",
    "FieldKind",
    "Job",
    "JobState",
    "Rendition",
    "SearchEntry",
    "Share",
    "ShotRow",
    "Span",
    "SpanKind",
    "SubtitleCue",
    "Tenant",
    "UTCDateTime",
    "User",
    "UserSession",
    "new_id",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class AssetStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, always timezone-aware UTC in Python, whatever the database gives back.

    SQLite keeps no zone and returns naive values; PostgreSQL returns them in the session's zone.
    Written: an aware value is turned to UTC (a naive one is taken as UTC); read: UTC is attached.
    The column stays ``DateTime(timezone=True)``, so the schema and migrations do not change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _utc(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: UTCDateTime(),
    }


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("tenants.id", name="fk_tenants_parent_id"), default=None
    )
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
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

    asset: Mapped[Asset] = relationship(back_populates="jobs")


class FieldKind(StrEnum):
    TEXT = "text"
    KEYWORD = "keyword"
    NUMBER = "number"
    DATE = "date"
    ENUM = "enum"


class FieldDefinition(Base):
    """A custom descriptive field a tenant defines as data; values live in ``Asset.custom``."""

    __tablename__ = "field_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_field_definitions_tenant_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    options: Mapped[list[str]] = mapped_column(default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpanKind(StrEnum):
    SEGMENT = "segment"
    SHOT = "shot"
    MARKER = "marker"


class Span(Base):
    """A catalogued time range inside an asset: a segment or shot (编目), or a marker with a note."""

    __tablename__ = "spans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float, default=None)
    title: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubtitleCue(Base):
    """One timed line of a subtitle or transcript track imported from SRT or WebVTT."""

    __tablename__ = "subtitle_cues"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    track: Mapped[str] = mapped_column(String(64), default="")
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


class SearchEntry(Base):
    """One searchable document: an asset's metadata, one span, or one subtitle cue.

    ``tokens`` holds the normalised token stream (mam/search/tokens.py). On SQLite it is text that
    the FTS5 table ``search_fts`` indexes (external content); on PostgreSQL it is a tsvector with a
    GIN index. Both are written from the same Python tokeniser, so both backends match the same rows.
    """

    __tablename__ = "search_entries"
    # Covering: a walk over the full-text matches reads each entry's asset, owner and kind without its token stream.
    __table_args__ = (
        Index("ix_search_entries_visible", "id", "asset_id", "tenant_id", "kind"),
        # A shoot date or duration sort walks the entries in these (mam/search/walk.py column_page).
        Index("ix_search_entries_shoot_date", "shoot_date", "id"),
        Index("ix_search_entries_duration", "duration", "id"),
    )

    # Not a counter: (asset created_at in ms) << 21 | n, so that id order is recency order (mam/search/index.py).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[str] = mapped_column(String(36), index=True)
    start: Mapped[float | None] = mapped_column(Float, default=None)
    end: Mapped[float | None] = mapped_column(Float, default=None)
    tokens: Mapped[str] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    # The asset's filterable columns, copied to each of its entries (mam/search/index.py): a search
    # with a status, type, date or duration filter tests them on the entry (PostgreSQL) instead of
    # looking each matching entry's asset up (6-8 us each at 1M assets).
    status: Mapped[str | None] = mapped_column(String(16), default=None)
    media_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    shoot_date: Mapped[date | None] = mapped_column(Date, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    # And its facet columns: a PostgreSQL search counts programmes and tags over the entries it
    # sampled instead of looking their assets up (5 ms of a 1,000-entry sample at 1M assets).
    programme: Mapped[str | None] = mapped_column(String(200), default=None)
    tags: Mapped[list[str] | None] = mapped_column(JSON, default=None)


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


class AssetAnalysis(Base):
    """What the analysis of an asset's current original measured, and where its pictures are stored."""

    __tablename__ = "asset_analyses"

    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    source_sha256: Mapped[str] = mapped_column(String(64))
    measurements: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Everything QC judges (black, freeze, silence, clipping, loudness, field order), kept so that a
    report can be judged again against another threshold profile without decoding."""
    qc_profile: Mapped[str] = mapped_column(String(64))
    qc: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The report against ``qc_profile``: a verdict and pass / warn / fail per check."""
    storage_prefix: Mapped[str] = mapped_column(String(1000))
    poster_key: Mapped[str | None] = mapped_column(String(1000), default=None)
    storyboard_sheets: Mapped[int] = mapped_column(Integer, default=0)
    storyboard_interval: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShotRow(Base):
    """One shot of an asset: its frames, times, timecodes, how it begins, and its keyframe picture."""

    __tablename__ = "shots"
    __table_args__ = (UniqueConstraint("asset_id", "number", name="uq_shots_asset_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    first_frame: Mapped[int] = mapped_column(Integer)
    last_frame: Mapped[int] = mapped_column(Integer)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    start_timecode: Mapped[str] = mapped_column(String(16))
    end_timecode: Mapped[str] = mapped_column(String(16))
    transition: Mapped[str] = mapped_column(String(16))
    transition_frames: Mapped[int] = mapped_column(Integer, default=0)
    keyframe_frame: Mapped[int | None] = mapped_column(Integer, default=None)
    keyframe_key: Mapped[str | None] = mapped_column(String(1000), default=None)


class ApiKey(Base):
    """A tool's key: shown once, stored as the SHA-256 digest of its secret, with a visible prefix."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class User(Base):
    """A person who signs in with a name (unique across tenants) and a password (argon2id hash)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class UserSession(Base):
    """A signed-in browser: keyed by the digest of its cookie's token, with the CSRF token of its writes."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(64), default=None)


class AuditEntry(Base):
    """One entry of the append-only audit trail (mam/audit): who did what, to what, from where, when.

    ``hash`` is the SHA-256 of the entry's canonical JSON with ``prev_hash``, the hash of the entry
    before it, so that an edited, removed or inserted entry breaks the chain. Written only by
    :func:`mam.audit.record`; triggers refuse UPDATE and DELETE (migration 0014).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_tenant_id", "tenant_id", "id"),
        Index("ix_audit_entries_target", "target"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    """1, 2, 3...: assigned in chain order while the trail's lock is held, never reused, without gaps."""
    at: Mapped[datetime] = mapped_column()
    tenant_id: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(300))
    """The principal's label (``key:playout``, ``user:wang``)."""
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Unique: two entries can never follow the same one, so the chain cannot fork."""
    hash: Mapped[str] = mapped_column(String(64), unique=True)
