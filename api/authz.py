"""Authorization of each route: ``dependencies=[require("asset:edit")]`` on its decorator.

The permissions are those of ``roles/roles.toml`` (:mod:`mam.identity.roles`); the policy itself lives
in :mod:`mam.identity.access`. Here is only the HTTP side: the dependency (which authenticates first, so
no credential is still a 401), and the OpenAPI document, where every operation says the permission it
needs (``x-permission``) and that it can answer 403.

Another tenant's object is never refused here: the catalog answers 404 for it, since every read is
scoped to the caller's tenant and the assets shared with it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPBearer

from api.auth import SESSION_COOKIE, CurrentPrincipal, get_credential
from mam.identity.access import authorize, authorize_rendition
from mam.identity.roles import PERMISSIONS, Permission

__all__ = [
    "AUTHENTICATED",
    "PUBLIC",
    "READ_RENDITION",
    "authenticated",
    "authorize_before_body",
    "document_permissions",
    "permission_of",
    "public",
    "require",
    "require_rendition",
]

AUTHENTICATED = "authenticated"
"""What ``x-permission`` says of a route open to every principal (any role)."""
PUBLIC = "public"
"""What ``x-permission`` says of a route that needs no credential (health, profiles, sign-in, CORS)."""
READ_RENDITION = "rendition:read"

_bearer = HTTPBearer(auto_error=False)
_NEEDS: dict[Callable[..., None], str] = {}
"""The permission each dependency made here checks, for the OpenAPI document and the tests."""


@cache
def _check(permission: str) -> Callable[..., None]:
    if permission not in PERMISSIONS:  # a typo fails when the routes are defined, not at a request
        raise ValueError(f"unknown permission {permission!r}; the vocabulary is mam.identity.roles.PERMISSIONS")

    def check(principal: CurrentPrincipal) -> None:
        authorize(principal, permission)

    check.__name__ = f"require_{permission.replace(':', '_')}"
    _NEEDS[check] = permission
    return check


def require(permission: Permission) -> Any:
    """A route dependency (``dependencies=[require("job:cancel")]``): 401 without a credential, 403
    when the principal's role lacks ``permission``."""
    return Depends(_check(permission))


async def authorize_before_body(request: Request, permission: Permission) -> None:
    """Authenticate and authorize from the headers alone, for a route whose body FastAPI reads before
    its dependencies run (a multipart form): a caller without a credential or the right is refused
    before a byte of the file is read. (The route's own ``require`` then checks the same again.)"""
    bearer = await _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    credential = await run_in_threadpool(get_credential, request, bearer, cookie)
    authorize(credential.principal, permission)


def require_rendition(principal: CurrentPrincipal, profile: str) -> None:
    """A route dependency for the routes with ``{profile}`` in their path: ``rendition:read`` and a
    role that reads that profile (a playout key: ``broadcast_*`` only), HLS playlists and segments too."""
    authorize_rendition(principal, profile)


_NEEDS[require_rendition] = f"{READ_RENDITION} (of the profile in the path)"


def authenticated(principal: CurrentPrincipal) -> None:
    """A route dependency for what any principal may do (any role of any tenant): 401 without one."""


_NEEDS[authenticated] = AUTHENTICATED


def public() -> None:
    """A route dependency that checks nothing: it says the route is open on purpose (no credential)."""


_NEEDS[public] = PUBLIC


def permission_of(route: Any) -> str | None:
    """The permission ``route`` (an APIRoute, or FastAPI's context of an included one) checks through
    the dependencies of this module (None: it checks none)."""
    for dependency in route.dependant.dependencies:
        needed = _NEEDS.get(dependency.call) if dependency.call is not None else None
        if needed is not None:
            return needed
    return None


def document_permissions(app: FastAPI, schema: dict[str, Any], forbidden: dict[str, Any]) -> dict[str, Any]:
    """Write each operation's permission into the OpenAPI document (``x-permission``) and declare
    ``forbidden`` (the 403 problem) where a role can be refused."""
    paths = schema.get("paths", {})
    for route in iter_route_contexts(app.router.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        needed = permission_of(route)
        if needed is None:
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            operation["x-permission"] = needed
            if needed not in (AUTHENTICATED, PUBLIC):
                operation.setdefault("responses", {}).setdefault("403", forbidden)
    return schema
