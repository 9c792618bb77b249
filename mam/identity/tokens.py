"""Secrets of keys and sessions: made from the system's random source, stored only as SHA-256 digests.

A key or a cookie carries 256 bits of randomness, so a fast digest is enough to keep the stored form
useless to a reader of the catalog; a request is authenticated by one indexed lookup of the digest
(no slow hash per request, unlike a password).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["digest", "new_secret", "same"]


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random string of ``nbytes`` bytes of entropy."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """The SHA-256 of ``secret`` in hex: what the catalog stores and looks up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
