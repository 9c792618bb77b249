"""Catalog tables (SQLAlchemy 2, typed), by concept: ``base`` (the declarative base, UTC times, ids,
states), ``catalog`` (tenants, assets, renditions, jobs, shares), ``metadata`` (custom fields, spans,
subtitles, search entries, analysis and shots) and ``identity`` (keys, users, sessions, the audit trail).
Importing this package defines every table (``Base.metadata`` is complete)."""

from mam.models.base import AssetStatus, Base, JobLane, JobState, UTCDateTime, new_id, utcnow
from mam.models.catalog import Asset, Job, Rendition, Share, Tenant
from mam.models.events import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from mam.models.identity import ApiKey, AuditEntry, User, UserSession
from mam.models.metadata import (
    AssetAnalysis,
    FieldDefinition,
    FieldKind,
    SearchEntry,
    ShotRow,
    Span,
    SpanKind,
    SubtitleCue,
)
from mam.models.screen_text import ScreenTextLine

__all__ = [
    "ApiKey",
    "Asset",
    "AssetAnalysis",
    "AssetStatus",
    "AuditEntry",
    "Base",
    "Event",
    "FieldDefinition",
    "FieldKind",
    "Job",
    "JobLane",
    "JobState",
    "Rendition",
    "ScreenTextLine",
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
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "new_id",
    "utcnow",
]
