"""/api/v1/keys, /api/v1/users, /api/v1/tenants: what the CLI's ``mam keys|users|tenants`` do, over HTTP.

A tenant's administrators manage its keys (``key:manage``) and users (``user:manage``); the platform
operator (``tenant:manage``) creates counties below its tenant and looks after their administrators (lists,
disables and revokes them; a county's other users and keys are its own administrators' business). The rules are
those of :mod:`mam.identity.administration`; every write is recorded in the audit trail.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.actor import CurrentActor
from api.auth import CurrentPrincipal
from api.authz import require
from api.deps import ServicesDep, SessionDep
from api.errors import problems
from mam.identity import list_keys, list_users
from mam.identity.administration import (
    county_admin_keys,
    county_admins,
    create_county,
    create_county_admin,
    create_county_admin_key,
    disable_county_admin,
    disable_own_user,
    grant_key,
    grant_user,
    revoke_county_admin_key,
    revoke_own_key,
    tenants_below,
)
from mam.public.identity import (
    AdminCreate,
    AdminKeyCreate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    TenantCreate,
    TenantPublic,
    UserCreate,
    UserPublic,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["identity"])

_KEYS = (403, "the caller's role may not manage keys (key:manage), or grant or revoke a platform role")
_USERS = (403, "the caller's role may not manage users (user:manage), or grant or withdraw a platform role")
_TENANTS = (403, "the caller's role may not manage tenants (tenant:manage), or the parent is not its tenant")
_ROLE = (422, "a field is invalid (listed in `errors`), an unknown role, a malformed name or a short password")
_NAME_TAKEN = (409, "a user of that name exists (in some tenant)")


@router.get(
    "/keys",
    response_model=list[ApiKeyPublic],
    name="list_keys",
    responses=problems(_KEYS),
    dependencies=[require("key:manage")],
)
def keys(session: SessionDep, principal: CurrentPrincipal) -> list[ApiKeyPublic]:
    """The keys of the caller's tenant, oldest first: id, visible prefix, role, times; never the key."""
    return [ApiKeyPublic.of(k) for k in list_keys(session, principal.tenant_id)]


@router.post(
    "/keys",
    response_model=ApiKeyCreated,
    status_code=201,
    name="create_key",
    responses=problems(_KEYS, _ROLE),
    dependencies=[require("key:manage")],
)
def make_key(
    body: ApiKeyCreate, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal, actor: CurrentActor
) -> ApiKeyCreated:
    """A new key of the caller's tenant. ``key`` is shown in this answer only (stored as a digest)."""
    made = grant_key(session, services.roles, principal, body.role, body.name, body.expires_days, actor=actor)
    return ApiKeyCreated(**ApiKeyPublic.of(made.row).model_dump(), key=made.key)


@router.delete(
    "/keys/{key_id}",
    status_code=204,
    name="revoke_key",
    responses=problems(_KEYS, (404, "no such key (id or prefix) in the caller's tenant")),
    dependencies=[require("key:manage")],
)
def revoke(
    key_id: str, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal, actor: CurrentActor
) -> Response:
    """Revoke a key of the caller's tenant: the next request with it is a 401."""
    revoke_own_key(session, services.roles, principal, key_id, actor=actor)
    return Response(status_code=204)


@router.get(
    "/users",
    response_model=list[UserPublic],
    name="list_users",
    responses=problems(_USERS),
    dependencies=[require("user:manage")],
)
def users(session: SessionDep, principal: CurrentPrincipal) -> list[UserPublic]:
    """The users of the caller's tenant, by name."""
    return [UserPublic.of(u) for u in list_users(session, principal.tenant_id)]


@router.post(
    "/users",
    response_model=UserPublic,
    status_code=201,
    name="create_user",
    responses=problems(_USERS, _NAME_TAKEN, _ROLE),
    dependencies=[require("user:manage")],
)
def make_user(
    body: UserCreate, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal, actor: CurrentActor
) -> UserPublic:
    """A new user of the caller's tenant (the password is hashed, never repeated)."""
    return UserPublic.of(
        grant_user(session, services.roles, principal, body.name, body.role, body.password, actor=actor)
    )


@router.post(
    "/users/{name}/disable",
    response_model=UserPublic,
    name="disable_user",
    responses=problems(_USERS, (404, "no such user in the caller's tenant")),
    dependencies=[require("user:manage")],
)
def disable(
    name: str, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal, actor: CurrentActor
) -> UserPublic:
    """Disable a user of the caller's tenant: it cannot sign in, and its sessions end now."""
    return UserPublic.of(disable_own_user(session, services.roles, principal, name, actor=actor))


@router.get(
    "/tenants",
    response_model=list[TenantPublic],
    name="list_tenants",
    responses=problems(_TENANTS),
    dependencies=[require("tenant:manage")],
)
def tenants(session: SessionDep, principal: CurrentPrincipal) -> list[TenantPublic]:
    """The caller's tenant and the tenants below it (the province and its counties)."""
    return [TenantPublic.of(t) for t in tenants_below(session, principal)]


@router.post(
    "/tenants",
    response_model=TenantPublic,
    status_code=201,
    name="create_tenant",
    responses=problems(_TENANTS, (409, "a tenant of that id exists"), (422, "a field is invalid, or a malformed id")),
    dependencies=[require("tenant:manage")],
)
def make_tenant(
    body: TenantCreate, session: SessionDep, principal: CurrentPrincipal, actor: CurrentActor
) -> TenantPublic:
    """A new tenant below the caller's (a county below the province)."""
    return TenantPublic.of(create_county(session, principal, body.id, body.name, body.parent, actor=actor))


@router.post(
    "/tenants/{tenant_id}/admins",
    response_model=UserPublic,
    status_code=201,
    name="create_tenant_admin",
    responses=problems(_TENANTS, (404, "no such tenant below the caller's"), _NAME_TAKEN, _ROLE),
    dependencies=[require("tenant:manage")],
)
def make_admin(
    tenant_id: str,
    body: AdminCreate,
    services: ServicesDep,
    session: SessionDep,
    principal: CurrentPrincipal,
    actor: CurrentActor,
) -> UserPublic:
    """An administrator (role ``admin``) of a tenant below the caller's, who can then sign in there."""
    made = create_county_admin(session, services.roles, principal, tenant_id, body.name, body.password, actor=actor)
    return UserPublic.of(made)


@router.post(
    "/tenants/{tenant_id}/keys",
    response_model=ApiKeyCreated,
    status_code=201,
    name="create_tenant_admin_key",
    responses=problems(_TENANTS, (404, "no such tenant below the caller's"), 422),
    dependencies=[require("tenant:manage")],
)
def make_admin_key(
    tenant_id: str,
    body: AdminKeyCreate,
    services: ServicesDep,
    session: SessionDep,
    principal: CurrentPrincipal,
    actor: CurrentActor,
) -> ApiKeyCreated:
    """An administrator's key (role ``admin``) of a tenant below the caller's; ``key`` is shown this once."""
    made = create_county_admin_key(
        session, services.roles, principal, tenant_id, body.name, body.expires_days, actor=actor
    )
    return ApiKeyCreated(**ApiKeyPublic.of(made.row).model_dump(), key=made.key)


_COUNTY = (404, "no such tenant below the caller's, or no such administrator in it")


@router.get(
    "/tenants/{tenant_id}/users",
    response_model=list[UserPublic],
    name="list_tenant_admins",
    responses=problems(_TENANTS, _COUNTY),
    dependencies=[require("tenant:manage")],
)
def county_users(
    tenant_id: str, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal
) -> list[UserPublic]:
    """The administrators (users whose role manages users or keys) of a tenant below the caller's, by name."""
    return [UserPublic.of(u) for u in county_admins(session, services.roles, principal, tenant_id)]


@router.post(
    "/tenants/{tenant_id}/users/{name}/disable",
    response_model=UserPublic,
    name="disable_tenant_admin",
    responses=problems(_TENANTS, _COUNTY),
    dependencies=[require("tenant:manage")],
)
def disable_county_user(
    tenant_id: str,
    name: str,
    services: ServicesDep,
    session: SessionDep,
    principal: CurrentPrincipal,
    actor: CurrentActor,
) -> UserPublic:
    """Disable an administrator of a tenant below the caller's: it cannot sign in, its sessions end now.
    Recorded in the county's audit trail and in the caller's."""
    return UserPublic.of(disable_county_admin(session, services.roles, principal, tenant_id, name, actor=actor))


@router.get(
    "/tenants/{tenant_id}/keys",
    response_model=list[ApiKeyPublic],
    name="list_tenant_admin_keys",
    responses=problems(_TENANTS, _COUNTY),
    dependencies=[require("tenant:manage")],
)
def county_keys(
    tenant_id: str, services: ServicesDep, session: SessionDep, principal: CurrentPrincipal
) -> list[ApiKeyPublic]:
    """The administrators' keys of a tenant below the caller's: id, visible prefix, role, times; never the key."""
    return [ApiKeyPublic.of(k) for k in county_admin_keys(session, services.roles, principal, tenant_id)]


@router.delete(
    "/tenants/{tenant_id}/keys/{key_id}",
    status_code=204,
    name="revoke_tenant_admin_key",
    responses=problems(_TENANTS, _COUNTY),
    dependencies=[require("tenant:manage")],
)
def revoke_county_key(
    tenant_id: str,
    key_id: str,
    services: ServicesDep,
    session: SessionDep,
    principal: CurrentPrincipal,
    actor: CurrentActor,
) -> Response:
    """Revoke an administrator's key of a tenant below the caller's (by id or prefix): the next request
    with it is a 401. Recorded in the county's audit trail and in the caller's."""
    revoke_county_admin_key(session, services.roles, principal, tenant_id, key_id, actor=actor)
    return Response(status_code=204)
