"""API keys on SQLite and PostgreSQL: shown once, stored as a digest with a visible prefix, refused once
revoked or expired, their last use written at most once a minute."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from mam.errors import AuthenticationError, IdentityError, NotFoundError
from mam.identity import authenticate_key, create_key, list_keys, revoke_key
from mam.models import ApiKey, utcnow
from mam.public.identity import ApiKeyPublic
from mam.services import Services


def test_a_key_is_shown_once_and_the_catalog_keeps_only_its_digest_and_visible_prefix(services: Services) -> None:
    with services.session() as session:
        made = create_key(session, services.roles, "default", "playout", "playout server 2")
        row_id = made.row.id
    assert made.key.startswith(f"mam_{made.row.prefix}_") and len(made.row.prefix) == 8
    with services.engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": row_id}).mappings().one()
    assert stored["digest"] == hashlib.sha256(made.key.encode()).hexdigest()
    secret = made.key.split("_", 2)[2]
    assert not any(secret in str(value) for value in stored.values())
    with services.session() as session:
        (listed,) = [ApiKeyPublic.of(k) for k in list_keys(session, "default")]
    assert listed.id == row_id and listed.prefix == made.row.prefix and listed.name == "playout server 2"
    assert "key" not in listed.model_dump() and secret not in listed.model_dump_json()


def test_a_key_authenticates_as_its_tenant_and_role(services: Services) -> None:
    with services.session() as session:
        made = create_key(session, services.roles, "default", "newsroom")
        principal = authenticate_key(session, services.roles, made.key)
    assert (principal.kind, principal.tenant_id, principal.role.name) == ("key", "default", "newsroom")
    assert principal.label == f"key:{made.row.prefix}"


def test_a_revoked_key_is_refused_at_the_next_request(services: Services) -> None:
    with services.session() as session:
        made = create_key(session, services.roles, "default", "editor")
        authenticate_key(session, services.roles, made.key)
    with services.session() as other:  # revoked by another process (the CLI)
        revoke_key(other, made.row.prefix)
    with services.session() as session, pytest.raises(AuthenticationError, match="revoked") as refused:
        authenticate_key(session, services.roles, made.key)
    assert made.key.split("_", 2)[2] not in str(refused.value)


def test_an_expired_key_is_refused_and_an_unknown_one_too(services: Services) -> None:
    with services.session() as session:
        made = create_key(session, services.roles, "default", "viewer", expires_days=1)
        assert made.row.expires_at is not None
        authenticate_key(session, services.roles, made.key, now=made.row.expires_at - timedelta(seconds=1))
        with pytest.raises(AuthenticationError, match="expired"):
            authenticate_key(session, services.roles, made.key, now=made.row.expires_at)
        forged = made.key[:-4] + ("aaaa" if not made.key.endswith("aaaa") else "bbbb")
        with pytest.raises(AuthenticationError, match="unknown"):
            authenticate_key(session, services.roles, forged)


def test_last_use_is_written_at_most_once_a_minute(services: Services) -> None:
    def last_used(key_id: str) -> object:
        with services.session() as session:
            return session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key_id))

    t0 = utcnow()
    with services.session() as session:
        made = create_key(session, services.roles, "default", "playout")
        assert made.row.last_used_at is None
        authenticate_key(session, services.roles, made.key, now=t0)
    assert last_used(made.row.id) == t0
    with services.session() as session:
        authenticate_key(session, services.roles, made.key, now=t0 + timedelta(seconds=30))
    assert last_used(made.row.id) == t0
    with services.session() as session:
        authenticate_key(session, services.roles, made.key, now=t0 + timedelta(seconds=61))
    assert last_used(made.row.id) == t0 + timedelta(seconds=61)


def test_an_unknown_role_tenant_or_key_is_refused_saying_what_is_valid(services: Services) -> None:
    with services.session() as session:
        with pytest.raises(IdentityError, match="choose one of admin, editor, newsroom, platform, playout, viewer"):
            create_key(session, services.roles, "default", "superuser")
        with pytest.raises(NotFoundError, match="mam tenants list"):
            create_key(session, services.roles, "nowhere", "viewer")
        with pytest.raises(NotFoundError, match="mam keys list"):
            revoke_key(session, "no-such-key")
        assert list_keys(session) == []
