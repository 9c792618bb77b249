"""Reading the trail: a tenant's entries, newest first, a page at a time, with filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from mam.models import AuditEntry

__all__ = ["AuditPage", "list_entries"]


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    total: int
    limit: int
    offset: int


def list_entries(
    session: Session,
    tenant_id: str | None,
    *,
    actions: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    target: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """Entries of ``tenant_id`` (None: every tenant's, for the local administrator), newest first.

    ``since`` is inclusive, ``until`` exclusive; ``target``: only entries about that asset, key, user..."""
    where: list[ColumnElement[bool]] = []
    if tenant_id is not None:
        where.append(AuditEntry.tenant_id == tenant_id)
    if actions:
        where.append(AuditEntry.action.in_(list(actions)))
    if since is not None:
        where.append(AuditEntry.at >= since)
    if until is not None:
        where.append(AuditEntry.at < until)
    if target:
        where.append(AuditEntry.target == target)
    condition = and_(True, *where)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(condition)) or 0
    items = session.scalars(
        select(AuditEntry).where(condition).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return AuditPage(list(items), total, limit, offset)
