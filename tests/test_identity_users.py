"""Users and their sessions on SQLite and PostgreSQL: argon2id hashes, sessions kept as digests, disabling
and signing out take effect at once; failed sign-ins limited per account and per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mam.errors import AuthenticationError, ConflictError, IdentityError, RateLimitedError
from mam.identity import (
    SignInLimiter,
    authenticate_session,
    create_user,
    disable_user,
    list_users,
    sign_in,
    sign_out,
)
from mam.identity.tokens import digest
from mam.models import UserSession, utcnow
from mam.services import Services

PASSWORD = "雨季防汛 correct horse"
HOURS = timedelta(hours=12)


def test_a_password_is_kept_as_an_argon2id_hash_only(services: Services) -> None:
    with services.session() as session:
        user = create_user(session, services.roles, "wang.fang", "default", "editor", PASSWORD)
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert [u.name for u in list_users(session, "default")] == ["wang.fang"]


def test_a_short_password_a_taken_name_or_an_unknown_role_is_refused(services: Services) -> None:
    with services.session() as session:
        with pytest.raises(IdentityError, match="at least 10 characters") as short:
            create_user(session, services.roles, "li", "default", "editor", "short")
        assert "short" not in str(short.value).replace("at least", "")
        create_user(session, services.roles, "li", "default", "editor", PASSWORD)
        with pytest.raises(ConflictError, match="already exists"):
            create_user(session, services.roles, "li", "default", "viewer", PASSWORD)
        with pytest.raises(IdentityError, match="unknown role"):
            create_user(session, services.roles, "zhao", "default", "chief", PASSWORD)


def test_a_session_is_kept_as_the_digest_of_its_token_and_ends_at_sign_out(services: Services) -> None:
    with services.session() as session:
        create_user(session, services.roles, "chen", "default", "viewer", PASSWORD)
        done = sign_in(session, "chen", PASSWORD, lifetime=HOURS, address="10.0.0.7")
        stored = session.scalars(select(UserSession)).one()
        assert stored.id == digest(done.token) and stored.id != done.token and stored.address == "10.0.0.7"
        found = authenticate_session(session, services.roles, done.token)
        assert (found.principal.kind, found.principal.name, found.csrf_token) == ("user", "chen", done.csrf_token)
        assert found.user.last_login_at is not None
        sign_out(session, done.token)
        with pytest.raises(AuthenticationError, match="sign in again"):
            authenticate_session(session, services.roles, done.token)


def test_an_expired_session_is_refused_and_removed_at_the_next_sign_in(services: Services) -> None:
    with services.session() as session:
        create_user(session, services.roles, "sun", "default", "viewer", PASSWORD)
        create_user(session, services.roles, "ma", "default", "viewer", PASSWORD)
        done = sign_in(session, "sun", PASSWORD, lifetime=HOURS)
        with pytest.raises(AuthenticationError, match="expired"):
            authenticate_session(session, services.roles, done.token, now=utcnow() + HOURS)
        session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))  # sun's is over
        session.commit()
        ma = sign_in(session, "ma", PASSWORD, lifetime=HOURS)  # another user's sign-in removes it
        assert [s.id for s in session.scalars(select(UserSession))] == [digest(ma.token)]


def test_disabling_a_user_ends_its_sessions_at_once_and_refuses_its_sign_in(services: Services) -> None:
    with services.session() as session:
        create_user(session, services.roles, "zhou", "default", "editor", PASSWORD)
        done = sign_in(session, "zhou", PASSWORD, lifetime=HOURS)
    with services.session() as admin:  # another process: the administrator's CLI
        disable_user(admin, "zhou")
    with services.session() as session:
        with pytest.raises(AuthenticationError):
            authenticate_session(session, services.roles, done.token)
        with pytest.raises(AuthenticationError, match="wrong user name or password"):
            sign_in(session, "zhou", PASSWORD, lifetime=HOURS)


def test_a_wrong_password_and_an_unknown_name_read_the_same(services: Services) -> None:
    with services.session() as session:
        create_user(session, services.roles, "wu", "default", "viewer", PASSWORD)
        with pytest.raises(AuthenticationError) as wrong:
            sign_in(session, "wu", "not the password", lifetime=HOURS)
        with pytest.raises(AuthenticationError) as unknown:
            sign_in(session, "nobody", "not the password", lifetime=HOURS)
    assert str(wrong.value) == str(unknown.value) == "wrong user name or password"


def test_failed_sign_ins_are_limited_per_account_and_per_address_in_a_sliding_window() -> None:
    now = [1000.0]
    limiter = SignInLimiter(max_failures=3, window_seconds=60, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("wang", "10.0.0.1")
        limiter.failed("wang", "10.0.0.1")
        now[0] += 1
    with pytest.raises(RateLimitedError, match="this account") as refused:
        limiter.check("WANG", "10.0.0.2")  # the account, from any address, in any case
    assert refused.value.retry_after == 57  # the oldest failure (at 1000) leaves the window then
    now[0] += 57
    limiter.check("wang", "10.0.0.1")
    for n in range(12):  # 3 x 4 failures from one address, spread over accounts
        limiter.failed(f"user{n}", "10.0.0.9")
    with pytest.raises(RateLimitedError, match="this address"):
        limiter.check("someone-else", "10.0.0.9")
    limiter.check("someone-else", "10.0.0.8")
    limiter.failed("li", None)
    limiter.succeeded("li")  # a success clears the account's failures
    limiter.check("li", None)
