"""Signed links: a rendition or an HLS folder played by what cannot send headers (a ``<video>`` tag on a
CMS page, a set-top player, a newsroom tool that only takes a URL).

A link's token sits in the path, before the part it grants::

    /api/v1/play/<token>/assets/<asset>/renditions/<profile>[/<file in the folder>]

and signs (HMAC-SHA256 with the server's secret) the tenant it reads as, its expiry, and the scope
``assets/<asset>/renditions/<profile>``: everything below it and nothing else. An HLS playlist's relative
URIs (``v0/index.m3u8``, ``seg_1.m4s``) resolve under the same token, so a player needs the link alone.
A token is never an identity: it is checked only by the play routes, against the scope it was signed
for, and says nothing of any key or user.

The secret is ``MAM_URL_SECRET``, or else one generated once into ``$MAM_HOME/url-secret`` (every process
sharing that home signs alike). Changing it voids every link given out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mam.errors import ConfigError, LinkError
from mam.settings import Settings

__all__ = ["SECRET_FILE", "GrantedLink", "LinkSigner", "link_scope", "url_secret"]

SECRET_FILE = "url-secret"
"""The generated secret's file name in ``$MAM_HOME`` (mode 0600)."""
_VERSION = "l1"
_SIG_CHARS = 43  # 32 bytes of HMAC-SHA256, base64url without padding


def link_scope(asset_id: str, profile: str) -> str:
    """What a link to ``profile`` of ``asset_id`` grants: that rendition, and every file of its folder."""
    return f"assets/{asset_id}/renditions/{profile}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def url_secret(settings: Settings) -> bytes:
    """``MAM_URL_SECRET``, or the secret kept in ``$MAM_HOME/url-secret`` (made once, atomically: two
    processes starting together end up with the same one)."""
    if settings.url_secret:
        return settings.url_secret.encode("utf-8")
    path = settings.home / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    settings.home.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{SECRET_FILE}.{secrets.token_hex(6)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)  # fails if another process made it first: theirs is kept
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise ConfigError(f"{path.name} in MAM_HOME holds no usable secret (under 32 characters): remove it")
    return text.encode("ascii")


@dataclass(frozen=True)
class GrantedLink:
    """What a valid token grants: read ``scope`` as ``tenant_id`` until ``expires`` (Unix seconds)."""

    tenant_id: str
    scope: str
    expires: int

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)

    def seconds_left(self, now: float) -> int:
        return max(0, int(self.expires - now))


class LinkSigner:
    """Makes and checks link tokens with one secret."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 32:
            raise ConfigError("the signed links' secret must be at least 32 bytes")
        self._secret = secret
        self._clock = clock

    def __repr__(self) -> str:
        return "LinkSigner(<secret>)"

    @classmethod
    def of(cls, settings: Settings) -> LinkSigner:
        return cls(url_secret(settings))

    def _signature(self, tenant_id: str, scope: str, expires: int) -> bytes:
        message = f"{_VERSION}\n{tenant_id}\n{expires}\n{scope}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def sign(self, tenant_id: str, scope: str, seconds: int) -> tuple[str, GrantedLink]:
        """A token granting ``scope`` to ``tenant_id`` for ``seconds``, and what it grants."""
        expires = int(self._clock()) + max(1, seconds)
        signature = self._signature(tenant_id, scope, expires)
        token = f"{_VERSION}.{_b64(tenant_id.encode())}.{expires}.{_b64(signature)}"
        return token, GrantedLink(tenant_id, scope, expires)

    def verify(self, token: str, scope: str) -> GrantedLink:
        """What ``token`` grants for ``scope``; :class:`LinkError` if it is malformed, altered, signed for
        another scope or expired (the signature is checked first, in constant time)."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != _VERSION or not parts[2].isdigit() or len(parts[3]) != _SIG_CHARS:
            raise LinkError("the link is malformed: ask for a new one (POST .../links/<profile>)")
        try:
            tenant_id = _unb64(parts[1]).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise LinkError("the link is malformed: ask for a new one") from None
        if _b64(tenant_id.encode()) != parts[1]:  # one spelling per token: base64's spare bits must be zero
            raise LinkError("the link is malformed: ask for a new one")
        expires = int(parts[2])
        # Compared as text: another spelling of the same bytes (a changed spare bit in the last
        # character) is an altered link, not the same one.
        if not hmac.compare_digest(parts[3], _b64(self._signature(tenant_id, scope, expires))):
            raise LinkError("the link's signature does not match this path (altered, or made for another file)")
        if expires <= self._clock():
            raise LinkError("the link has expired: ask for a new one")
        return GrantedLink(tenant_id, scope, expires)
