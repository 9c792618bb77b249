"""Who acts and what they did: API keys, users, their sign-in sessions, and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from mam.models.base import Base, new_id, utcnow

__all__ = ["ApiKey", "AuditEntry", "User", "UserSession"]


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
