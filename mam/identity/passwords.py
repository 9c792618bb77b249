"""Password hashes of people: argon2id (``argon2-cffi``'s defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mam.errors import IdentityError

__all__ = ["MIN_PASSWORD_CHARS", "check_strength", "hash_password", "verify_password"]

MIN_PASSWORD_CHARS = 10
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("a password nobody has")


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
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
