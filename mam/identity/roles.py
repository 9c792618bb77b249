"""Roles as data: ``roles/roles.toml`` (one file), validated by frozen pydantic models.

A role names the permissions a principal of that role has in its own tenant, and the profiles of the
renditions it may read (globs such as ``broadcast_*``). A ``platform`` role belongs to the provincial
operator: it manages tenants and their administrators, and reads no county's assets unless shared.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mam.errors import ConfigError

__all__ = ["PERMISSIONS", "Permission", "Role", "default_roles_file", "load_roles"]

Permission = Literal[
    "asset:read",
    "asset:create",
    "asset:edit",
    "asset:delete",
    "original:read",
    "rendition:read",
    "job:read",
    "job:request",
    "job:cancel",
    "share:manage",
    "field:manage",
    "key:manage",
    "user:manage",
    "audit:read",
    "tenant:manage",
    "metrics:read",
    "event:read",
    "webhook:manage",
]
PERMISSIONS: tuple[str, ...] = get_args(Permission)


class Role(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    description: str = ""
    permissions: frozenset[Permission]
    renditions: tuple[str, ...] = ()
    """Globs of the profiles whose renditions the role may read (with ``rendition:read``)."""
    platform: bool = False

    def allows(self, permission: str) -> bool:
        return permission in self.permissions

    def may_read_rendition(self, profile: str) -> bool:
        return "rendition:read" in self.permissions and any(fnmatch.fnmatchcase(profile, g) for g in self.renditions)


def default_roles_file() -> Path:
    """The roles shipped with the project (``roles/roles.toml``)."""
    return Path(__file__).resolve().parent.parent.parent / "roles" / "roles.toml"


def load_roles(path: Path | None = None) -> Mapping[str, Role]:
    """Every role of the file, by name; a malformed file raises :class:`ConfigError` saying where."""
    path = path or default_roles_file()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the roles file {path}: {exc}") from exc
    roles: dict[str, Role] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{name}] must be a table of a role")
        try:
            roles[name] = Role.model_validate({"name": name, **table})
        except ValidationError as exc:
            raise ConfigError(f"{path}: role {name!r} is invalid: {exc}") from exc
    if not roles:
        raise ConfigError(f"{path}: no roles defined")
    return roles
