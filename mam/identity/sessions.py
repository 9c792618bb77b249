"""Signed-in browsers: sign in with a name and password, get a session token (the cookie) and a CSRF
token (sent back as ``X-CSRF-Token`` with every write). The catalog keeps only the digest of the
session token; disabling the user or signing out ends the session at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mam.audit import Actor, AuditAction, record
from mam.errors import AuthenticationError
from mam.identity.passwords import verify_password
from mam.identity.principal import Principal
from mam.identity.ratelimit import SignInLimiter
from mam.identity.roles import Role
from mam.identity.tokens import digest, new_secret
from mam.identity.users import find_user
from mam.models import User, UserSession, utcnow

__all__ = ["Authenticated", "SignedIn", "authenticate_session", "sign_in", "sign_out"]

_REFUSED = "wrong user name or password"


@dataclass(frozen=True)
class SignedIn:
    token: str
    """The session cookie's value: the only copy of it."""
    csrf_token: str
    user: User
    expires_at: datetime


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    csrf_token: str
    user: User


def sign_in(
    session: Session,
    name: str,
    password: str,
    *,
    lifetime: timedelta,
    address: str | None = None,
    limiter: SignInLimiter | None = None,
) -> SignedIn:
    """Open a session for ``name`` if ``password`` is right and the user is enabled. A wrong name,
    password or a disabled user all read the same; too many failures raise ``RateLimitedError``."""
    if limiter is not None:
        limiter.check(name, address)
    user = find_user(session, name)
    good = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not good or user.disabled:
        if limiter is not None:
            limiter.failed(name, address)
        _refused(session, name, user, good, address)
        raise AuthenticationError(_REFUSED, code="sign-in-refused")
    if limiter is not None:
        limiter.succeeded(name)
    token, csrf = new_secret(32), new_secret(24)
    now = utcnow()
    row = UserSession(
        id=digest(token),
        user_id=user.id,
        csrf_token=csrf,
        created_at=now,
        expires_at=now + lifetime,
        address=(address or None) and address[:64],
    )
    user.last_login_at = now
    session.add(row)
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))  # anyone's: the table stays small
    who = Actor(user.tenant_id, "user", user.id, f"user:{user.name}", address)
    record(session, who, AuditAction.SIGN_IN, target=user.id, details={"expires_at": row.expires_at})
    session.commit()
    return SignedIn(token, csrf, user, row.expires_at)


def _refused(session: Session, name: str, user: User | None, good: bool, address: str | None) -> None:
    """A failed sign-in, in the user's tenant's trail (a name no user has belongs to no tenant: ``""``)."""
    reason = "no such user" if user is None else "disabled" if good else "wrong password"
    who = Actor.anonymous(user.tenant_id if user is not None else "", name[:100], address)
    details = {"name": name[:100], "reason": reason}
    record(session, who, AuditAction.SIGN_IN_FAILED, target=user.id if user is not None else "", details=details)
    session.commit()


def sign_out(session: Session, token: str) -> None:
    """End the session of ``token`` (nothing happens for an unknown one)."""
    session.execute(delete(UserSession).where(UserSession.id == digest(token)))
    session.commit()


def authenticate_session(
    session: Session, roles: Mapping[str, Role], token: str, now: datetime | None = None
) -> Authenticated:
    """The principal of the session cookie ``token``; an unknown or expired session, or a disabled
    user, raises :class:`AuthenticationError`."""
    now = now or utcnow()
    found = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id).where(UserSession.id == digest(token))
    ).first()
    if found is None:
        raise AuthenticationError("the session ended or is unknown; sign in again", code="session-ended")
    row, user = found
    if row.expires_at <= now:
        raise AuthenticationError("the session expired; sign in again", code="session-ended")
    role = roles.get(user.role)
    if user.disabled or role is None:
        raise AuthenticationError(
            "this user is disabled; sign in again once an administrator enables it", code="session-ended"
        )
    principal = Principal(kind="user", id=user.id, name=user.name, tenant_id=user.tenant_id, role=role)
    return Authenticated(principal, row.csrf_token, user)
