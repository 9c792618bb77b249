"""The first administrator: on an empty catalog (no users, no keys) ``mam serve`` makes user ``admin``
of the default tenant with a random password and prints it once, the way Jupyter or Grafana do."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from mam.identity.roles import Role
from mam.identity.tokens import new_secret
from mam.identity.users import create_user
from mam.models import ApiKey, User

__all__ = ["FIRST_ADMIN", "first_administrator"]

FIRST_ADMIN = "admin"


def first_administrator(session: Session, roles: Mapping[str, Role], tenant_id: str) -> str | None:
    """If the catalog has no user and no key, make ``admin`` (role admin of ``tenant_id``) and return its
    password, to be shown once; otherwise ``None``."""
    if session.scalar(select(exists().where(User.id.is_not(None)))) or session.scalar(
        select(exists().where(ApiKey.id.is_not(None)))
    ):
        return None
    password = new_secret(18)
    create_user(session, roles, FIRST_ADMIN, tenant_id, "admin", password)
    return password
