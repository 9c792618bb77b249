"""Errors raised by :mod:`mam`.

::

    MamError
    ├── CatalogError
    │   ├── NotFoundError         no such asset, job, rendition or tenant (for this tenant)
    │   ├── ForbiddenError        the asset is shared with this tenant, but only its owner may change it
    │   ├── ShareError            a share request names no tenant, an unknown one, or the owner itself
    │   ├── ConflictError         the change contradicts the catalog's state
    │   └── MetadataError         descriptive metadata, a custom field or a subtitle file is invalid
    ├── SearchError               a search query cannot be understood (the message says why)
    ├── StorageError
    │   ├── StorageNotFoundError  no object under that key
    │   └── InvalidKeyError       a key that could leave the store (a name with '..', a backslash, NUL...)
    ├── IngestError               a file cannot be ingested; the message says why and what to do
    ├── JobRequestError           work asked for names an unknown profile, one the source cannot feed, or a bad span
    ├── BusyError                 the server is too busy to do it now: try again later (not the caller's fault)
    ├── SidecarError              a sidecar metadata file is refused (malformed, DTD/entities, too big)
    ├── IdentityError             a key, user or tenant request is invalid (unknown role, bad name, weak password)
    ├── AuthenticationError       no credential, or one that is unknown, expired, revoked or disabled
    ├── CsrfError                 a cookie-authenticated write without the session's X-CSRF-Token
    ├── PermissionDeniedError     the caller's role does not allow the action (in its own tenant)
    ├── RateLimitedError          too many failed sign-ins (or requests): try again after ``retry_after``
    ├── LinkError                 a signed link that is malformed, altered, expired or for another path
    ├── WebhookError              a webhook URL that is not http(s) (or private, when refused), unknown event types
    └── ConfigError               a MAM_* setting is missing or malformed
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BusyError",
    "CatalogError",
    "ConfigError",
    "ConflictError",
    "CsrfError",
    "ForbiddenError",
    "IdentityError",
    "IngestError",
    "InvalidKeyError",
    "JobRequestError",
    "LinkError",
    "MamError",
    "MetadataError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "SearchError",
    "ShareError",
    "SidecarError",
    "StorageError",
    "StorageNotFoundError",
    "WebhookError",
]


class MamError(Exception):
    """Root of every error raised by the mam package."""


class CatalogError(MamError):
    """The catalog refused or failed an operation."""


class NotFoundError(CatalogError):
    """The asset, job, rendition or tenant does not exist (or is not visible to this tenant)."""


class ForbiddenError(CatalogError):
    """The asset is shared with this tenant (it may read it), but only the owning tenant may change it."""


class ShareError(CatalogError):
    """A share request is invalid: no tenant, an unknown tenant, or the owner itself."""


class ConflictError(CatalogError):
    """The operation contradicts the current state (e.g. a rendition registered twice)."""


class MetadataError(CatalogError):
    """Descriptive metadata, a custom field value or definition, or a subtitle file is invalid."""


class SearchError(MamError):
    """A search query cannot be understood (a malformed date, range or cursor)."""


class StorageError(MamError):
    """Reading from or writing to the store failed."""


class StorageNotFoundError(StorageError):
    """No object is stored under the key."""


class InvalidKeyError(StorageError):
    """A storage key, or a name that would become part of one, is refused: empty, absolute, with a
    backslash, a NUL byte, or an empty, ``.`` or ``..`` part. Coming from a request, it is the client's
    fault; the message names the offending part, never the store's location."""


class BusyError(MamError):
    """The server is too busy to do this now (e.g. the sandboxed probe ran out of time while the machine
    was overloaded): not a verdict on the request. Try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IngestError(MamError):
    """A file cannot be ingested; the message says why and what the user can do."""


class JobRequestError(MamError):
    """Work asked of an asset cannot be queued as asked: an unknown profile, one this source cannot feed,
    or an in/out point that is malformed, reversed or outside the source. Refused at the request, before
    any byte is stored or any job queued; the message says what is valid."""


class SidecarError(MamError):
    """A sidecar metadata file is refused (malformed, has a DTD or entities, too big); the media still ingests."""


class IdentityError(MamError):
    """A key, user or tenant cannot be made as asked: an unknown role or tenant, a malformed name, a
    password too short. The message says what is valid."""


class AuthenticationError(MamError):
    """The caller is not authenticated: no credential, or a key, session or token that is unknown,
    expired, revoked or whose user is disabled. The message never repeats the credential."""


class CsrfError(MamError):
    """A write authenticated by the session cookie came without the session's ``X-CSRF-Token`` header,
    or with another token."""


class PermissionDeniedError(MamError):
    """The caller is authenticated, but its role does not allow the action (``asset:edit``, or reading
    a rendition of a profile the role does not list). Decided by the role and the action, before any
    object is looked up (or once it is known to be the caller's), so it reveals nothing of another
    tenant's objects."""


class RateLimitedError(MamError):
    """Too many attempts (failed sign-ins of an account or from an address): try again after
    ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LinkError(MamError):
    """A signed link (a rendition or HLS folder played without headers) is refused: malformed, altered,
    expired, or signed for another path. The message says which, never the expected signature."""


class WebhookError(MamError):
    """A webhook endpoint is refused: a URL that is not http(s), names no host, or (with
    MAM_WEBHOOK_ALLOW_PRIVATE=0) a private address; or event types that do not exist."""


class ConfigError(MamError):
    """A MAM_* setting is missing or malformed."""
