"""Who acts: a person signed in, an API key of a tool, a token of the single sign-on, or the local
administrator at the CLI. Every request and job carries one; the audit trail records what it did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mam.identity.roles import Role

__all__ = ["Principal", "PrincipalKind"]

PrincipalKind = Literal["user", "key", "oidc", "local"]


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: str
    """The user's, key's or token subject's id (``local`` for the CLI)."""
    name: str
    tenant_id: str
    role: Role

    def can(self, permission: str) -> bool:
        return self.role.allows(permission)

    def may_read_rendition(self, profile: str) -> bool:
        return self.role.may_read_rendition(profile)

    @property
    def label(self) -> str:
        """How the audit trail and logs name it: ``key:ab12cd34 (playout)``."""
        return f"{self.kind}:{self.name}"
