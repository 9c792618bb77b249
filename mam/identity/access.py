"""What a principal may do: the permissions of its role (``roles/roles.toml``) in its own tenant, and
which renditions it may read.

Every check here depends on the principal and the action alone, never on whether an object exists,
so a refusal (:class:`~mam.errors.PermissionDeniedError`, a 403) says nothing about another tenant's
objects: those stay "not found" because every catalog read is scoped to the caller's tenant (and the
assets shared with it).
"""

from __future__ import annotations

from mam.errors import PermissionDeniedError
from mam.identity.principal import Principal
from mam.identity.roles import PERMISSIONS

__all__ = ["authorize", "authorize_rendition"]


def authorize(principal: Principal, permission: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``principal``'s role has ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")  # a programming error, not the caller's
    if not principal.can(permission):
        raise PermissionDeniedError(
            f"{principal.label} has the role {principal.role.name!r}, which does not allow {permission}",
            code="role-forbidden",
            params={"role": principal.role.name, "permission": permission},
        )


def authorize_rendition(principal: Principal, profile: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``principal`` may read renditions of ``profile``
    (a playout key reads ``broadcast_*`` only; a newsroom key proxies and web renditions, never originals)."""
    authorize(principal, "rendition:read")
    if not principal.may_read_rendition(profile):
        readable = ", ".join(principal.role.renditions) or "none"
        raise PermissionDeniedError(
            f"{principal.label} has the role {principal.role.name!r}, which reads renditions of {readable}, "
            f"not {profile[:40]!r}",
            code="rendition-forbidden",
            params={"role": principal.role.name, "profile": profile[:40]},
        )
