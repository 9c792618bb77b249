"""/api/v1/session: a person signs in (name + password -> an HttpOnly session cookie and the CSRF
token its writes send back), asks who is signed in, and signs out."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response

from api.auth import SESSION_COOKIE, CurrentCredential, client_address
from api.authz import authenticated, public
from api.deps import ServicesDep
from api.errors import problems
from mam.identity.ratelimit import SignInLimiter
from mam.identity.sessions import sign_in, sign_out
from mam.public.identity import SessionCreate, SessionPublic, UserPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/session", tags=["session"])


def _limiter(request: Request, services: ServicesDep) -> SignInLimiter:
    """The app's failed sign-in counter (one per app, made on first use)."""
    limiter: SignInLimiter | None = getattr(request.app.state, "signin_limiter", None)
    if limiter is None:
        settings = services.settings
        limiter = SignInLimiter(settings.signin_max_failures, settings.signin_window_seconds)
        request.app.state.signin_limiter = limiter
    return limiter


@router.post(
    "",
    response_model=SessionPublic,
    name="sign_in",
    responses=problems(
        (401, "wrong user name or password, or a disabled user"),
        (429, "too many failed sign-ins of this account or from this address (Retry-After)"),
    ),
    dependencies=[Depends(public)],
)
def create(body: SessionCreate, request: Request, response: Response, services: ServicesDep) -> SessionPublic:
    """Sign in: sets the HttpOnly session cookie; send the returned ``csrf_token`` as ``X-CSRF-Token``
    with every POST, PUT, PATCH and DELETE of this session."""
    lifetime = timedelta(hours=services.settings.session_hours)
    with services.session() as session:
        done = sign_in(
            session,
            body.name,
            body.password,
            lifetime=lifetime,
            address=client_address(request),
            limiter=_limiter(request, services),
        )
        user = UserPublic.of(done.user)
    response.set_cookie(
        SESSION_COOKIE,
        done.token,
        max_age=int(lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    role = services.roles[user.role]
    return SessionPublic(
        csrf_token=done.csrf_token,
        principal=f"user:{user.name}",
        tenant_id=user.tenant_id,
        role=user.role,
        user=user,
        permissions=sorted(role.permissions),
        renditions=list(role.renditions),
    )


@router.get("", response_model=SessionPublic, name="get_session", dependencies=[Depends(authenticated)])
def read(credential: CurrentCredential) -> SessionPublic:
    """Who is calling: the signed-in person (with the session's CSRF token), or the key or token."""
    principal = credential.principal
    user = UserPublic.of(credential.user) if credential.user is not None else None
    return SessionPublic(
        csrf_token=credential.csrf_token,
        principal=principal.label,
        tenant_id=principal.tenant_id,
        role=principal.role.name,
        user=user,
        permissions=sorted(principal.role.permissions),
        renditions=list(principal.role.renditions),
    )


@router.delete(
    "",
    status_code=204,
    name="sign_out",
    responses=problems((403, "the X-CSRF-Token header is missing or wrong")),
    dependencies=[Depends(authenticated)],
)
def remove(request: Request, credential: CurrentCredential, services: ServicesDep) -> Response:
    """Sign out: the session ends now and its cookie is cleared (a key or token has nothing to end)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and credential.user is not None:
        with services.session() as session:
            sign_out(session, token)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response
