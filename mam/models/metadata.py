"""What describes an asset beyond its file: custom fields, timed spans, subtitles, the search entries,
and what the analysis found (the QC report and the shots)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
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
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from mam.models.base import Base, new_id, utcnow

__all__ = ["AssetAnalysis", "FieldDefinition", "FieldKind", "SearchEntry", "ShotRow", "Span", "SpanKind", "SubtitleCue"]


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
