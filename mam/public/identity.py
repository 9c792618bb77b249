"""Identity as clients see it: keys (never their secret, except once at creation), users, tenants,
and a signed-in session."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mam.models import ApiKey, Tenant, User

__all__ = [
    "AdminCreate",
    "AdminKeyCreate",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyPublic",
    "SessionCreate",
    "SessionPublic",
    "TenantCreate",
    "TenantPublic",
    "UserCreate",
    "UserPublic",
]


class TenantPublic(BaseModel):
    id: str
    name: str
    parent_id: str | None = Field(description="the tenant above this one (the province above a county)")
    created_at: AwareDatetime

    @classmethod
    def of(cls, tenant: Tenant) -> TenantPublic:
        return cls(id=tenant.id, name=tenant.name, parent_id=tenant.parent_id, created_at=tenant.created_at)


class ApiKeyPublic(BaseModel):
    """A key as listed: its id and visible prefix, never the key itself."""

    id: str
    tenant_id: str
    role: str
    name: str
    prefix: str = Field(description="the visible start of the key (mam_<prefix>_...), to recognise it")
    created_at: AwareDatetime
    expires_at: AwareDatetime | None
    last_used_at: AwareDatetime | None = Field(description="updated at most once a minute")
    revoked_at: AwareDatetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        return cls(
            id=key.id,
            tenant_id=key.tenant_id,
            role=key.role,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreated(ApiKeyPublic):
    """A key just made: the only time the key itself is shown."""

    key: str = Field(description="the key (Authorization: Bearer <key>); shown once, stored only as a digest")


class UserPublic(BaseModel):
    id: str
    tenant_id: str
    name: str
    role: str
    disabled: bool
    created_at: AwareDatetime
    last_login_at: AwareDatetime | None

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            tenant_id=user.tenant_id,
            name=user.name,
            role=user.role,
            disabled=user.disabled,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class SessionCreate(BaseModel):
    """Sign in with a user's name and password."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024, json_schema_extra={"format": "password"})


class SessionPublic(BaseModel):
    """Who is signed in, and the token every write of this session must send as ``X-CSRF-Token``."""

    csrf_token: str | None = Field(description="send as X-CSRF-Token with POST, PUT, PATCH and DELETE")
    principal: str = Field(description="who acts: user:<name>, key:<prefix> or oidc:<subject>")
    tenant_id: str
    role: str
    user: UserPublic | None = Field(description="the signed-in person (none for a key or a token)")
    permissions: list[str] = Field(
        default_factory=list, description="what this role may do (roles/roles.toml), e.g. asset:create"
    )
    renditions: list[str] = Field(default_factory=list, description="globs of the profiles it may read")


_PASSWORD = Field(min_length=1, max_length=1024, json_schema_extra={"format": "password"})


class ApiKeyCreate(BaseModel):
    """A new key of the caller's tenant; the answer shows the key itself, once."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=200, description="what the key is for (e.g. 'playout server 2')")
    role: str = Field(min_length=1, max_length=32, description="admin, editor, playout, newsroom, viewer...")
    expires_days: float | None = Field(default=None, gt=0, le=36500, description="days until it expires")


class UserCreate(BaseModel):
    """A new user of the caller's tenant; the password is never repeated in an answer."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="the sign-in name (unique across tenants)")
    role: str = Field(min_length=1, max_length=32, description="admin, editor, playout, newsroom, viewer...")
    password: str = _PASSWORD


class AdminCreate(BaseModel):
    """An administrator of a county, made by the platform operator above it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="the sign-in name (unique across tenants)")
    password: str = _PASSWORD


class AdminKeyCreate(BaseModel):
    """An administrator's key of a county, made by the platform operator above it (shown once)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=200, description="what the key is for")
    expires_days: float | None = Field(default=None, gt=0, le=36500, description="days until it expires")


class TenantCreate(BaseModel):
    """A new tenant below the caller's (a county below the province)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="lowercase letters, digits, '-' and '_'")
    name: str | None = Field(default=None, max_length=200, description="a readable name (default: the id)")
    parent: str | None = Field(default=None, max_length=64, description="the tenant above (default: the caller's)")
