"""Identity: principals, roles (as data), and how they authenticate (API keys, users and their
sessions); tenants and the first administrator."""

from mam.identity.bootstrap import FIRST_ADMIN, first_administrator
from mam.identity.keys import (
    CreatedKey,
    authenticate_key,
    check_role,
    create_key,
    list_keys,
    looks_like_key,
    revoke_key,
)
from mam.identity.principal import Principal, PrincipalKind
from mam.identity.ratelimit import SignInLimiter
from mam.identity.roles import PERMISSIONS, Permission, Role, default_roles_file, load_roles
from mam.identity.sessions import Authenticated, SignedIn, authenticate_session, sign_in, sign_out
from mam.identity.tenants import create_tenant, get_tenant, list_tenants
from mam.identity.users import create_user, disable_user, find_user, list_users

__all__ = [
    "FIRST_ADMIN",
    "PERMISSIONS",
    "Authenticated",
    "CreatedKey",
    "Permission",
    "Principal",
    "PrincipalKind",
    "Role",
    "SignInLimiter",
    "SignedIn",
    "authenticate_key",
    "authenticate_session",
    "check_role",
    "create_key",
    "create_tenant",
    "create_user",
    "default_roles_file",
    "disable_user",
    "find_user",
    "first_administrator",
    "get_tenant",
    "list_keys",
    "list_tenants",
    "list_users",
    "load_roles",
    "looks_like_key",
    "revoke_key",
    "sign_in",
    "sign_out",
]
