"""Recording: who did what, to what, from where and when, appended to the chain in the caller's transaction.

:func:`record` writes the entry with the session of the action it records, so the action and its
entry commit together or not at all. Appends are serialised so that each entry follows exactly one
other: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by taking the database's write
lock before the last entry is read. Call it as the last write before the commit: the lock is held
until then.

Each entry's ``hash`` is the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of its
fields and ``prev_hash``, the hash of the entry before it (:data:`GENESIS` for the first). The id
is a locator (1, 2, 3... in chain order, no gaps) and is not hashed: the links pin the order.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from mam.models import AuditEntry, utcnow

if TYPE_CHECKING:  # mam.identity's use cases record to the trail: no import back at load time
    from mam.identity.principal import Principal

__all__ = ["GENESIS", "Actor", "AuditAction", "changed", "entry_hash", "record"]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""

_PG_AUDIT_LOCK = 0x6D616D_A0D1
"""An advisory-lock key of our own: held by the transaction appending to the trail."""


class AuditAction(StrEnum):
    """What the trail records (a fixed vocabulary)."""

    SIGN_IN = "session.sign_in"
    SIGN_IN_FAILED = "session.sign_in_failed"
    KEY_CREATE = "key.create"
    KEY_REVOKE = "key.revoke"
    USER_CREATE = "user.create"
    USER_DISABLE = "user.disable"
    TENANT_CREATE = "tenant.create"
    ASSET_UPLOAD = "asset.upload"
    ASSET_UPDATE = "asset.update"
    ASSET_DELETE = "asset.delete"
    SHARE_CREATE = "share.create"
    SHARE_REVOKE = "share.revoke"
    ORIGINAL_DOWNLOAD = "original.download"
    RENDITION_DOWNLOAD = "rendition.download"
    EXPORT_DOWNLOAD = "export.download"
    EXPORT_REQUEST = "export.request"
    RENDITIONS_REQUEST = "renditions.request"


@dataclass(frozen=True)
class Actor:
    """Who acted, as the trail names them, and the address the request came from."""

    tenant_id: str
    kind: str
    """``user``, ``key``, ``oidc``, ``local`` (the CLI) or ``anonymous`` (a failed sign-in)."""
    id: str
    label: str
    address: str | None = None

    @classmethod
    def of(cls, principal: Principal, address: str | None = None) -> Actor:
        """The principal of a request (``address``: the client's) or of a job."""
        return cls(principal.tenant_id, principal.kind, principal.id, principal.label, address)

    @classmethod
    def anonymous(cls, tenant_id: str, name: str, address: str | None = None) -> Actor:
        """Someone not (yet) identified, e.g. a sign-in that failed for the user name ``name``."""
        return cls(tenant_id, "anonymous", name, f"anonymous:{name}", address)

    @classmethod
    def local(cls, tenant_id: str, name: str = "cli") -> Actor:
        """The local administrator at the CLI (acting on the catalog directly)."""
        return cls(tenant_id, "local", name, f"local:{name}", None)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """The SHA-256 (hex) of an entry: its fields (``at`` as a UTC instant) and the previous entry's hash."""
    body = {
        "at": _moment(fields["at"]),
        "tenant_id": fields["tenant_id"],
        "actor": fields["actor"],
        "actor_kind": fields["actor_kind"],
        "actor_id": fields["actor_id"],
        "address": fields["address"],
        "action": fields["action"],
        "target": fields["target"],
        "details": fields["details"],
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def _lock(session: Session) -> None:
    """Hold the trail's append lock until the caller's transaction ends."""
    session.flush()  # the caller's own writes first: whoever holds the lock then only appends
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    elif connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
            # Nothing written yet: take the write lock now, so that the last entry read next stays last.
            raw.execute("BEGIN IMMEDIATE")


def _plain(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON values only (dates and other objects as text), as they will read back from the catalog."""
    plain: dict[str, Any] = json.loads(json.dumps(dict(details or {}), default=str, allow_nan=False))
    return plain


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The details of a change: ``{"before": {...}, "after": {...}}`` of the fields whose value differs."""
    names = [n for n in dict.fromkeys([*before, *after]) if before.get(n) != after.get(n)]
    return {"before": {n: before.get(n) for n in names}, "after": {n: after.get(n) for n in names}}


def record(
    session: Session,
    actor: Actor,
    action: AuditAction | str,
    *,
    target: str = "",
    details: Mapping[str, Any] | None = None,
    tenant_id: str | None = None,
) -> int:
    """Append an entry in ``session``'s transaction (committed with it by the caller; nothing is committed here).

    ``target``: what was acted on (an asset, key, user or tenant id); ``details``: JSON-able facts
    (for a metadata change, the changed fields ``before`` and ``after``). ``tenant_id``: the tenant the
    target belongs to (default: the actor's). When it is another tenant's (the platform operator acting
    in a county), the entry goes to both trails: the county sees who acted in it, the province what its
    operators did. Returns the id of the entry in the target's trail."""
    action = AuditAction(action)  # ValueError for a word outside the vocabulary
    owner = tenant_id or actor.tenant_id
    first = _append(session, actor, action, target, details, owner)
    if owner != actor.tenant_id:
        _append(session, actor, action, target, details, actor.tenant_id)
    return first


def _append(
    session: Session,
    actor: Actor,
    action: AuditAction,
    target: str,
    details: Mapping[str, Any] | None,
    tenant_id: str,
) -> int:
    _lock(session)
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev_id, prev_hash = (last.id, last.hash) if last is not None else (0, GENESIS)
    fields: dict[str, Any] = {
        "at": utcnow(),
        "tenant_id": tenant_id,
        "actor": actor.label[:300],
        "actor_kind": actor.kind[:16],
        "actor_id": actor.id[:200],
        "address": actor.address[:64] if actor.address else None,
        "action": action.value,
        "target": target[:200],
        "details": _plain(details),
    }
    digest = entry_hash(fields, prev_hash)
    session.execute(insert(AuditEntry).values(id=prev_id + 1, prev_hash=prev_hash, hash=digest, **fields))
    return prev_id + 1
