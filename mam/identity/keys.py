"""API keys of tools (TV playout, newsroom systems, scripts): ``Authorization: Bearer <key>``.

A key reads ``mam_<prefix>_<secret>``: the prefix (8 hex characters) is stored and shown so people can
tell keys apart; the whole key is stored only as its SHA-256 digest and shown once, at creation.
Authenticating is one indexed lookup of the digest; revoking takes effect at the next request, and
``last_used_at`` is written at most once a minute per key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mam.audit import Actor, AuditAction, record
from mam.errors import AuthenticationError, IdentityError, NotFoundError
from mam.identity.principal import Principal
from mam.identity.roles import Role
from mam.identity.tenants import get_tenant
from mam.identity.tokens import digest, new_secret
from mam.models import ApiKey, new_id, utcnow

__all__ = [
    "KEY_PATTERN",
    "LAST_USED_EVERY",
    "CreatedKey",
    "authenticate_key",
    "check_role",
    "create_key",
    "list_keys",
    "looks_like_key",
    "revoke_key",
]

KEY_PATTERN = re.compile(r"^mam_([0-9a-f]{8})_([A-Za-z0-9_-]{32,64})$")
LAST_USED_EVERY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key: a busy tool costs one write a minute."""


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    key: str
    """The key itself: shown once, never stored."""


def looks_like_key(value: str) -> bool:
    """Whether ``value`` has the shape of a key (``mam_<prefix>_<secret>``)."""
    return KEY_PATTERN.match(value) is not None


def check_role(roles: Mapping[str, Role], role: str) -> Role:
    found = roles.get(role)
    if found is None:
        raise IdentityError(f"unknown role {role[:40]!r}; choose one of {', '.join(sorted(roles))}")
    return found


def create_key(
    session: Session,
    roles: Mapping[str, Role],
    tenant_id: str,
    role: str,
    name: str = "",
    expires_days: float | None = None,
    *,
    actor: Actor | None = None,
) -> CreatedKey:
    """A new key of ``tenant_id`` with ``role``; the returned ``key`` is the only copy of it. Recorded in
    the audit trail as done by ``actor`` (default: the local administrator)."""
    check_role(roles, role)
    get_tenant(session, tenant_id)
    if expires_days is not None and expires_days <= 0:
        raise IdentityError("--expires must be a positive number of days")
    prefix = secrets.token_hex(4)
    key = f"mam_{prefix}_{new_secret(32)}"
    now = utcnow()
    row = ApiKey(
        id=new_id(),
        tenant_id=tenant_id,
        role=role,
        name=name[:200] or f"{role} key",
        prefix=prefix,
        digest=digest(key),
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days is not None else None,
    )
    session.add(row)
    details = {"role": role, "name": row.name, "prefix": prefix, "expires_at": row.expires_at}
    record(
        session,
        actor or Actor.local(tenant_id),
        AuditAction.KEY_CREATE,
        target=row.id,
        details=details,
        tenant_id=tenant_id,
    )
    session.commit()
    return CreatedKey(row, key)


def list_keys(session: Session, tenant_id: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    return list(session.scalars(query))


def revoke_key(session: Session, key_id: str, tenant_id: str | None = None, *, actor: Actor | None = None) -> ApiKey:
    """Revoke a key (by id, or by its visible prefix) at once; revoking it again changes nothing. Recorded
    in the audit trail as done by ``actor`` (default: the local administrator)."""
    query = select(ApiKey).where(or_(ApiKey.id == key_id, ApiKey.prefix == key_id))
    if tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    found = list(session.scalars(query))
    if len(found) != 1:
        raise NotFoundError(f"no key {key_id[:40]!r}; `mam keys list` shows the keys' ids and prefixes")
    row = found[0]
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        details = {"prefix": row.prefix, "role": row.role, "name": row.name}
        actor = actor or Actor.local(row.tenant_id)
        record(session, actor, AuditAction.KEY_REVOKE, target=row.id, details=details, tenant_id=row.tenant_id)
        session.commit()
    return row


def authenticate_key(session: Session, roles: Mapping[str, Role], key: str, now: datetime | None = None) -> Principal:
    """The principal of ``key``; an unknown, revoked or expired key raises :class:`AuthenticationError`
    (the message never repeats the key)."""
    now = now or utcnow()
    row = session.scalars(select(ApiKey).where(ApiKey.digest == digest(key))).first() if looks_like_key(key) else None
    if row is None:
        raise AuthenticationError("unknown API key")
    if row.revoked_at is not None:
        raise AuthenticationError(f"the API key {row.prefix} was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthenticationError(f"the API key {row.prefix} expired; ask an administrator for a new one")
    role = roles.get(row.role)
    if role is None:
        raise AuthenticationError(f"the API key {row.prefix} has a role ({row.role}) no longer defined")
    if row.last_used_at is None or row.last_used_at <= now - LAST_USED_EVERY:
        stale = or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_EVERY)
        session.execute(update(ApiKey).where(ApiKey.id == row.id, stale).values(last_used_at=now))
        session.commit()
    return Principal(kind="key", id=row.id, name=row.prefix, tenant_id=row.tenant_id, role=role)
