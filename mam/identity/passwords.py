"""Password hashes of people: argon2id (``argon2-cffi``'s defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mam.errors import IdentityError

__all__ = ["MIN_PASSWORD_CHARS", "check_strength", "hash_password", "verify_password"]

MIN_PASSWORD_CHARS = 10
_HASHER = PasswordHasher()


@cache
def _dummy() -> str:
    """A hash to verify against when there is no user: made at the first sign-in, not at import (an
    argon2id hash costs tens of milliseconds and 64 MiB, which every `mam` command would pay)."""
    return _HASHER.hash("a password nobody has")


def check_strength(password: str) -> None:
    """Refuse a password too short to resist guessing (the message never repeats it)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise IdentityError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")


def hash_password(password: str) -> str:
    """An argon2id hash (``$argon2id$v=19$...``) of ``password``."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; with no stored hash (no such user) the same work is
    done against a dummy, so the answer's time does not tell which names exist."""
    try:
        return _HASHER.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
