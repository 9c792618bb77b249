"""Tenants (media centres) and their hierarchy: the province above its counties."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mam.audit import Actor, AuditAction, record
from mam.errors import ConflictError, IdentityError, NotFoundError
from mam.models import Tenant

__all__ = ["TENANT_ID", "create_tenant", "get_tenant", "list_tenants"]

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""What a tenant's id may look like: lowercase letters, digits, '-' and '_', at most 64."""


def get_tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(f"unknown tenant {tenant_id[:64]!r}; `mam tenants list` shows the tenants")
    return tenant


def create_tenant(
    session: Session, tenant_id: str, name: str | None = None, parent: str | None = None, *, actor: Actor | None = None
) -> Tenant:
    """A new tenant ``tenant_id`` (under ``parent`` if given). Recorded in the audit trail as done by
    ``actor`` (default: the local administrator of the parent, or of the new tenant), in the new tenant's
    trail and, when the actor's tenant is another (the parent), in that one's too."""
    if not TENANT_ID.match(tenant_id):
        raise IdentityError(
            f"{tenant_id[:80]!r} is not a tenant name: use lowercase letters, digits, '-' and '_' (at most 64)"
        )
    if parent is not None:
        get_tenant(session, parent)
    if session.get(Tenant, tenant_id) is not None:
        raise ConflictError(f"tenant {tenant_id!r} already exists")
    tenant = Tenant(id=tenant_id, name=name or tenant_id, parent_id=parent)
    session.add(tenant)
    details = {"name": tenant.name, "parent": parent}
    try:
        record(
            session,
            actor or Actor.local(parent or tenant_id),
            AuditAction.TENANT_CREATE,
            target=tenant_id,
            details=details,
            tenant_id=tenant_id,
        )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"tenant {tenant_id!r} already exists") from exc
    return tenant


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.id)))
