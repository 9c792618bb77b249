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

Every error may carry a ``code``, a stable name of the refusal finer than its kind (``span-outside``,
``field-too-long``), and ``params``, the specifics a sentence about it needs (``{"field": "title",
"limit": 200}``). The API answers both in the problem details, so a client can say the refusal in its
user's language; the message stays the English sentence for scripts and logs. :data:`CODES` lists every
code with the params it always has (a test holds the raise sites to it).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CODES",
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
    "Param",
    "PermissionDeniedError",
    "RateLimitedError",
    "SearchError",
    "ShareError",
    "SidecarError",
    "StorageError",
    "StorageNotFoundError",
    "WebhookError",
]

Param = str | int | float
"""A value of a refusal's params: said as is in a sentence."""

CODES: Mapping[str, tuple[str, tuple[str, ...]]] = {
    # code: (what it means, the params it always has)
    "sign-in-refused": ("the name or password is wrong, or the user is disabled (the same for all three)", ()),
    "session-ended": ("the session expired or ended: sign in again", ()),
    "sign-in-rate-limited": ("too many failed sign-ins: try again after `seconds`", ("seconds",)),
    "role-forbidden": ("the caller's role does not allow `permission`", ("role", "permission")),
    "rendition-forbidden": ("the caller's role does not read renditions of `profile`", ("role", "profile")),
    "shared-read-only": ("the asset is shared with the caller by `owner`: only its owner changes it", ("owner",)),
    "asset-not-found": ("no such asset for this tenant", ()),
    "job-not-found": ("no such job for this tenant", ()),
    "rendition-not-found": ("the asset has no rendition of `profile` (yet)", ("profile",)),
    "analysis-not-ready": ("the asset has not been analysed yet", ()),
    "waveform-not-ready": ("the asset has no sound rendition to draw its waveform from yet", ()),
    "nothing-to-retry": ("the asset has no failed or cancelled render to retry", ()),
    "job-no-output": ("the job is `state` and has no output to download", ("state",)),
    "unknown-profile": ("no profile named `profile`; `available` lists the known ones", ("profile", "available")),
    "profile-not-applicable": (
        "`profile` cannot be made from this `kind` source; `available` lists those that can",
        ("profile", "kind", "available"),
    ),
    "no-profile-applicable": ("none of the profiles asked can be made from this `kind` source", ("kind", "available")),
    "unknown-lane": ("not a lane: urgent, normal or bulk", ("lane",)),
    "span-malformed": (
        "an in or out point that is neither seconds nor a timecode of the source; the source runs from 0 to "
        "`duration` seconds (`first_tc` to `last_tc` when it has a timecode, else empty)",
        ("duration", "first_tc", "last_tc"),
    ),
    "span-reversed": (
        "the in point is not before the out point (params as span-malformed)",
        ("duration", "first_tc", "last_tc"),
    ),
    "span-outside": (
        "the sub-clip is not inside the source (params as span-malformed)",
        ("duration", "first_tc", "last_tc"),
    ),
    "media-unreadable": ("`filename` is not audio or video the server can read", ("filename",)),
    "media-format-refused": ("`filename` is in a format or uses a protocol that is not accepted", ("filename",)),
    "media-too-demanding": ("`filename` exceeds the limits on media (size, length, streams)", ("filename",)),
    "media-crashed": ("reading `filename` failed (the reader crashed): the file is probably damaged", ("filename",)),
    "file-missing": ("there is no file to ingest (it was moved or removed)", ("filename",)),
    "probe-busy": (
        "the server is too busy to look at `filename` now: try again after `seconds`",
        ("filename", "seconds"),
    ),
    "busy": ("the server is too busy now: try again after `seconds`", ("seconds",)),
    "field-too-long": ("the descriptive field `field` is at most `limit` characters", ("field", "limit")),
    "field-unknown": ("`field` is not a descriptive field", ("field",)),
    "field-not-date": ("`field` is not a date (YYYY-MM-DD)", ("field",)),
    "custom-unknown": ("`field` is not one of this tenant's custom fields", ("field",)),
    "custom-not-number": ("the custom field `field` takes a number", ("field",)),
    "custom-not-text": ("the custom field `field` takes text", ("field",)),
    "custom-not-option": ("the custom field `field` takes one of `options`", ("field", "options")),
    "custom-too-long": ("the custom field `field` is at most `limit` characters", ("field", "limit")),
    "custom-required": ("required custom fields are missing: `fields`", ("fields",)),
    "custom-not-object": ("custom must be an object of field names to values", ()),
    "subtitle-too-large": ("a subtitle file is at most `limit_mib` MiB", ("limit_mib",)),
    "subtitle-encoding": ("the subtitle file is neither UTF-8 nor GB18030 text", ()),
    "subtitle-empty": ("no cues found: SRT or WebVTT expected", ()),
    "share-no-tenant": ("a share names no tenant", ()),
    "share-with-owner": ("an asset is not shared with its owner", ()),
    "share-unknown-tenant": ("no such tenant(s): `tenants`", ("tenants",)),
    "share-not-found": ("the asset is not shared with `tenant`", ("tenant",)),
    "upload-too-large": ("the upload is larger than the limit, `limit_mb` MB", ("limit_mb",)),
    "upload-expired": ("the upload expired: start it again", ()),
}
"""Every refusal code, what it means and the params it carries (the web says each in its languages)."""


class MamError(Exception):
    """Root of every error raised by the mam package.

    ``code`` and ``params``: the refusal's stable name and specifics (:data:`CODES`), for a client that
    says it in its user's language; without a code, the kind of error (its class) is all there is."""

    def __init__(self, *args: object, code: str | None = None, params: Mapping[str, Param] | None = None) -> None:
        super().__init__(*args)
        self.code = code
        self.params: dict[str, Param] = dict(params or {})


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

    def __init__(
        self, message: str, retry_after: int = 30, *, code: str | None = None, params: Mapping[str, Param] | None = None
    ) -> None:
        super().__init__(message, code=code, params=params)
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

    def __init__(
        self, message: str, retry_after: int, *, code: str | None = None, params: Mapping[str, Param] | None = None
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.retry_after = retry_after


class LinkError(MamError):
    """A signed link (a rendition or HLS folder played without headers) is refused: malformed, altered,
    expired, or signed for another path. The message says which, never the expected signature."""


class WebhookError(MamError):
    """A webhook endpoint is refused: a URL that is not http(s), names no host, or (with
    MAM_WEBHOOK_ALLOW_PRIVATE=0) a private address; or event types that do not exist."""


class ConfigError(MamError):
    """A MAM_* setting is missing or malformed."""
