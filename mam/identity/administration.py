"""Identity managed by principals over the API: a tenant's administrators manage their own tenant's keys
and users; the platform operator creates counties below its tenant and their administrators, and looks
after those administrators (lists, disables, revokes them: a county's other users are its own business).

The rules, each decided before anything is written:

- everything acts in the caller's own tenant; another tenant's key or user is "not found" (404);
- a role with ``platform = true`` is granted, revoked or disabled only by a platform principal
  (a tenant administrator cannot make, or unmake, the provincial operator);
- a platform principal creates tenants only below its own, and administrators (users or keys) only in a
  tenant whose parent is its own (its counties); any other tenant is "not found".

Every write goes through the use cases of :mod:`mam.identity.keys`, :mod:`~mam.identity.users` and
:mod:`~mam.identity.tenants` with the caller as ``actor``, so the audit trail records it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mam.audit import Actor
from mam.errors import NotFoundError, PermissionDeniedError
from mam.identity.keys import CreatedKey, check_role, create_key, list_keys, revoke_key
from mam.identity.principal import Principal
from mam.identity.roles import Role
from mam.identity.tenants import create_tenant
from mam.identity.users import create_user, disable_user, find_user, list_users
from mam.models import ApiKey, Tenant, User

__all__ = [
    "check_grant",
    "county_admin_keys",
    "county_admins",
    "create_county",
    "create_county_admin",
    "create_county_admin_key",
    "disable_county_admin",
    "disable_own_user",
    "grant_key",
    "grant_user",
    "revoke_county_admin_key",
    "revoke_own_key",
    "tenants_below",
]


def check_grant(principal: Principal, roles: Mapping[str, Role], role: str) -> Role:
    """The role ``principal`` may hand out (a new key or user) or take away (revoke, disable): any role
    of the file, but a platform role only by a platform principal (else :class:`PermissionDeniedError`)."""
    found = check_role(roles, role)
    if found.platform and not principal.role.platform:
        raise PermissionDeniedError(
            f"{principal.label} has the role {principal.role.name!r}: only the platform operator may grant "
            f"or withdraw the role {role!r}"
        )
    return found


def grant_key(
    session: Session,
    roles: Mapping[str, Role],
    principal: Principal,
    role: str,
    name: str,
    expires_days: float | None,
    *,
    actor: Actor,
) -> CreatedKey:
    """A new key of the caller's tenant with ``role``."""
    check_grant(principal, roles, role)
    return create_key(session, roles, principal.tenant_id, role, name, expires_days, actor=actor)


def grant_user(
    session: Session,
    roles: Mapping[str, Role],
    principal: Principal,
    name: str,
    role: str,
    password: str,
    *,
    actor: Actor,
) -> User:
    """A new user of the caller's tenant with ``role``."""
    check_grant(principal, roles, role)
    return create_user(session, roles, name, principal.tenant_id, role, password, actor=actor)


def revoke_own_key(
    session: Session, roles: Mapping[str, Role], principal: Principal, key_id: str, *, actor: Actor
) -> ApiKey:
    """Revoke a key of the caller's tenant (by id or prefix); another tenant's is not found."""
    query = select(ApiKey).where(or_(ApiKey.id == key_id, ApiKey.prefix == key_id))
    found = list(session.scalars(query.where(ApiKey.tenant_id == principal.tenant_id)))
    if len(found) != 1:
        raise NotFoundError(f"no key {key_id[:40]!r} in this tenant; GET /api/v1/keys lists them")
    if found[0].role in roles:
        check_grant(principal, roles, found[0].role)
    return revoke_key(session, found[0].id, principal.tenant_id, actor=actor)


def disable_own_user(
    session: Session, roles: Mapping[str, Role], principal: Principal, name: str, *, actor: Actor
) -> User:
    """Disable a user of the caller's tenant (its sessions end now); another tenant's is not found."""
    user = find_user(session, name)
    if user is None or user.tenant_id != principal.tenant_id:
        raise NotFoundError(f"no user {name[:80]!r} in this tenant; GET /api/v1/users lists them")
    if user.role in roles:
        check_grant(principal, roles, user.role)
    return disable_user(session, name, principal.tenant_id, actor=actor)


def tenants_below(session: Session, principal: Principal) -> list[Tenant]:
    """The caller's tenant and the tenants whose parent it is (the province and its counties)."""
    query = select(Tenant).where(or_(Tenant.id == principal.tenant_id, Tenant.parent_id == principal.tenant_id))
    return list(session.scalars(query.order_by(Tenant.id)))


def create_county(
    session: Session, principal: Principal, tenant_id: str, name: str | None, parent: str | None, *, actor: Actor
) -> Tenant:
    """A new tenant below the caller's (``parent``, if given, must be the caller's own tenant)."""
    if parent is not None and parent != principal.tenant_id:
        raise PermissionDeniedError(
            f"{principal.label} creates tenants below its own tenant ({principal.tenant_id!r}) only, "
            f"not below {parent[:64]!r}"
        )
    return create_tenant(session, tenant_id, name, principal.tenant_id, actor=actor)


def create_county_admin(
    session: Session,
    roles: Mapping[str, Role],
    principal: Principal,
    tenant_id: str,
    name: str,
    password: str,
    *,
    actor: Actor,
) -> User:
    """An ``admin`` user of ``tenant_id``, a tenant whose parent is the caller's; any other is not found."""
    return create_user(session, roles, name, _county(session, principal, tenant_id), "admin", password, actor=actor)


def create_county_admin_key(
    session: Session,
    roles: Mapping[str, Role],
    principal: Principal,
    tenant_id: str,
    name: str,
    expires_days: float | None,
    *,
    actor: Actor,
) -> CreatedKey:
    """An ``admin`` key of ``tenant_id``, a tenant whose parent is the caller's; any other is not found."""
    county = _county(session, principal, tenant_id)
    return create_key(session, roles, county, "admin", name, expires_days, actor=actor)


def _administers(roles: Mapping[str, Role], role: str) -> bool:
    """Whether ``role`` administers its tenant (manages its users or keys): what the platform looks after."""
    found = roles.get(role)
    return found is not None and not found.platform and (found.allows("user:manage") or found.allows("key:manage"))


def county_admins(session: Session, roles: Mapping[str, Role], principal: Principal, tenant_id: str) -> list[User]:
    """The administrators (users whose role manages users or keys) of a county below the caller's tenant."""
    county = _county(session, principal, tenant_id)
    return [u for u in list_users(session, county) if _administers(roles, u.role)]


def county_admin_keys(
    session: Session, roles: Mapping[str, Role], principal: Principal, tenant_id: str
) -> list[ApiKey]:
    """The administrators' keys of a county below the caller's tenant (id, prefix, role; never the key)."""
    county = _county(session, principal, tenant_id)
    return [k for k in list_keys(session, county) if _administers(roles, k.role)]


def disable_county_admin(
    session: Session, roles: Mapping[str, Role], principal: Principal, tenant_id: str, name: str, *, actor: Actor
) -> User:
    """Disable an administrator of a county below the caller's (a person who left, a password that leaked);
    the county's other users are its own administrators' to manage, and are not found here."""
    county = _county(session, principal, tenant_id)
    user = find_user(session, name)
    if user is None or user.tenant_id != county or not _administers(roles, user.role):
        raise NotFoundError(
            f"no administrator {name[:80]!r} in {county!r}; GET /api/v1/tenants/{county}/users lists them"
        )
    return disable_user(session, user.name, county, actor=actor)


def revoke_county_admin_key(
    session: Session, roles: Mapping[str, Role], principal: Principal, tenant_id: str, key_id: str, *, actor: Actor
) -> ApiKey:
    """Revoke an administrator's key of a county below the caller's (by id or prefix), at once."""
    county = _county(session, principal, tenant_id)
    found = [k for k in county_admin_keys(session, roles, principal, county) if key_id in (k.id, k.prefix)]
    if len(found) != 1:
        raise NotFoundError(
            f"no administrator's key {key_id[:40]!r} in {county!r}; GET /api/v1/tenants/{county}/keys lists them"
        )
    return revoke_key(session, found[0].id, county, actor=actor)


def _county(session: Session, principal: Principal, tenant_id: str) -> str:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or tenant.parent_id != principal.tenant_id:
        raise NotFoundError(
            f"no tenant {tenant_id[:64]!r} below {principal.tenant_id!r}; GET /api/v1/tenants lists them"
        )
    return tenant.id
