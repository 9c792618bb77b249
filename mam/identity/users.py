"""People who sign in to the web page: a name (unique across tenants), a role in one tenant, an
argon2id password hash. Disabling a user ends their sessions at once."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mam.audit import Actor, AuditAction, record
from mam.errors import ConflictError, IdentityError, NotFoundError
from mam.identity.keys import check_role
from mam.identity.passwords import check_strength, hash_password
from mam.identity.roles import Role
from mam.identity.tenants import get_tenant
from mam.models import User, UserSession, new_id

__all__ = ["USER_NAME", "create_user", "disable_user", "find_user", "list_users"]

USER_NAME = re.compile(r"^\w[\w.@-]{0,99}$")
"""A user's name: letters (any script), digits, '.', '@', '-' and '_', at most 100."""


def create_user(
    session: Session,
    roles: Mapping[str, Role],
    name: str,
    tenant_id: str,
    role: str,
    password: str,
    *,
    actor: Actor | None = None,
) -> User:
    """A new user of ``tenant_id``; the name must be free in every tenant. Recorded in the audit trail as
    done by ``actor`` (default: the local administrator)."""
    if not USER_NAME.match(name):
        raise IdentityError(f"{name[:80]!r} is not a user name: use letters, digits, '.', '@', '-', '_'")
    check_role(roles, role)
    get_tenant(session, tenant_id)
    check_strength(password)
    if session.scalars(select(User.id).where(User.name == name)).first() is not None:
        raise ConflictError(f"a user named {name!r} already exists")
    user = User(id=new_id(), tenant_id=tenant_id, name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    details = {"name": name, "role": role}
    try:
        actor = actor or Actor.local(tenant_id)
        record(session, actor, AuditAction.USER_CREATE, target=user.id, details=details, tenant_id=tenant_id)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"a user named {name!r} already exists") from exc
    return user


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def list_users(session: Session, tenant_id: str | None = None) -> list[User]:
    query = select(User).order_by(User.tenant_id, User.name)
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return list(session.scalars(query))


def disable_user(session: Session, name: str, tenant_id: str | None = None, *, actor: Actor | None = None) -> User:
    """Disable ``name``: it cannot sign in, and its open sessions end now. Recorded in the audit trail as
    done by ``actor`` (default: the local administrator)."""
    user = find_user(session, name)
    if user is None or (tenant_id is not None and user.tenant_id != tenant_id):
        raise NotFoundError(f"no user {name[:80]!r}; `mam users list` shows the users")
    user.disabled = True
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    details = {"name": user.name}
    actor = actor or Actor.local(user.tenant_id)
    record(session, actor, AuditAction.USER_DISABLE, target=user.id, details=details, tenant_id=user.tenant_id)
    session.commit()
    return user
