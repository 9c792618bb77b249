"""Who is calling: an API key (``Authorization: Bearer mam_...``), a single sign-on token (a JWT,
verified by :mod:`mam.identity.oidc` when that is configured), or the session cookie of a person who
signed in (whose writes must carry the session's ``X-CSRF-Token``).

No credential, or a bad one, is a 401 with ``WWW-Authenticate: Bearer`` (problem details, never
repeating the credential). A key in a URL's query is refused: URLs end up in logs and histories.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response
from mam.errors import AuthenticationError, CsrfError
from mam.identity.keys import authenticate_key, looks_like_key
from mam.identity.principal import Principal
from mam.identity.sessions import authenticate_session
from mam.identity.tokens import same
from mam.models import User
from mam.services import Services

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Credential",
    "CredentialsInUrl",
    "CurrentCredential",
    "CurrentPrincipal",
    "client_address",
    "document_security",
    "get_credential",
    "get_principal",
]

SESSION_COOKIE = "mam_session"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CREDENTIAL_PARAMETERS = frozenset({"api_key", "apikey", "access_token", "bearer"})

_bearer = HTTPBearer(auto_error=False, description="an API key (mam_<prefix>_<secret>) or a single sign-on token")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="the session of a person signed in with POST /api/v1/session; writes also send X-CSRF-Token",
)


@dataclass(frozen=True)
class Credential:
    """The authenticated caller, and what its session needs to write (cookie sessions only)."""

    principal: Principal
    csrf_token: str | None = None
    user: User | None = None


def client_address(request: Request) -> str | None:
    """The caller's address as the server sees it (behind a proxy: as uvicorn's --proxy-headers say)."""
    return request.client.host if request.client else None


_IN_URL = (
    "a key in the URL is never accepted (URLs are logged and kept in histories); "
    "send it as the header Authorization: Bearer <key>"
)


def _credential_in(pairs: list[tuple[str, str]]) -> bool:
    return any(name.lower() in _CREDENTIAL_PARAMETERS or looks_like_key(value) for name, value in pairs)


class CredentialsInUrl:
    """ASGI middleware: a request whose query string carries a credential is refused with 401 before
    anything else reads it, and the query is blanked in the request's scope, so that the server's
    access log (which prints the scope's query when the answer starts) never shows the key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string") or b""
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else []
        if scope["type"] == "http" and _credential_in(pairs):
            scope["query_string"] = b"credential-removed"
            await error_response(AuthenticationError(_IN_URL))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _verify_token(services: Services, token: str) -> Principal:
    """A JWT from the single sign-on provider, verified by ``mam.identity.oidc.verify_token(settings,
    token, roles=, session=)``; that function raises ``AuthenticationError`` when single sign-on is not
    configured or the token is refused, ``PermissionDeniedError`` when its tenant or role is unknown here.
    Without the module, no token is accepted."""
    try:
        oidc = importlib.import_module("mam.identity.oidc")
    except ModuleNotFoundError:
        raise AuthenticationError("single sign-on is not configured: use an API key") from None
    verify: Any = getattr(oidc, "verify_token", None)
    if verify is None:
        raise AuthenticationError("single sign-on is not configured: use an API key")
    with services.session() as session:
        principal: Principal = verify(services.settings, token, roles=services.roles, session=session)
    return principal


def _authenticate(
    request: Request,
    services: Services,
    bearer: HTTPAuthorizationCredentials | None,
    cookie: str | None,
) -> Credential:
    if _credential_in(request.query_params.multi_items()):  # also refused by CredentialsInUrl, earlier
        raise AuthenticationError(_IN_URL)
    if request.headers.get("authorization"):
        if bearer is None or not bearer.credentials.strip():
            raise AuthenticationError("the Authorization header must read 'Bearer <key>'")
        token = bearer.credentials.strip()
        if token.count(".") == 2 and not looks_like_key(token):
            return Credential(_verify_token(services, token))
        with services.session() as session:
            return Credential(authenticate_key(session, services.roles, token))
    if cookie:
        with services.session() as session:
            found = authenticate_session(session, services.roles, cookie)
        if request.method.upper() in _UNSAFE:
            sent = request.headers.get(CSRF_HEADER)
            if not sent:
                raise CsrfError(f"a write signed in by the session cookie needs the {CSRF_HEADER} header")
            if not same(sent, found.csrf_token):
                raise CsrfError(f"the {CSRF_HEADER} header does not match this session's token")
        return Credential(found.principal, found.csrf_token, found.user)
    raise AuthenticationError("no credential: send Authorization: Bearer <key>, or sign in with POST /api/v1/session")


def get_credential(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Credential:
    """Authenticate the request in a catalog session of its own, closed before the handler runs (an
    upload route must hold no connection while it waits for bytes). The principal is also left on
    ``request.state.principal`` for what runs after (the audit trail, logs)."""
    services: Services = request.app.state.services
    credential = _authenticate(request, services, bearer, cookie)
    request.state.principal = credential.principal
    return credential


CurrentCredential = Annotated[Credential, Depends(get_credential)]


def get_principal(credential: CurrentCredential) -> Principal:
    return credential.principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def document_security(schema: dict[str, Any], problem: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a credential can answer 401 (``problem`` is the response to declare)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if operation.get("security"):
                operation.setdefault("responses", {}).setdefault("401", problem)
    return schema
