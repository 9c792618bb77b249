"""Identity: principals, roles (as data) and how they authenticate."""

from mam.identity.principal import Principal, PrincipalKind
from mam.identity.roles import PERMISSIONS, Permission, Role, default_roles_file, load_roles

__all__ = ["PERMISSIONS", "Permission", "Principal", "PrincipalKind", "Role", "default_roles_file", "load_roles"]
