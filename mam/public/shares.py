"""Shares: which tenants the owner lets read an asset."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mam.models import Share, Tenant

__all__ = ["ShareCreate", "SharePublic", "ShareTarget"]


class ShareCreate(BaseModel):
    """Tenants to grant read access to the asset (the caller must own it)."""

    model_config = ConfigDict(extra="forbid")

    tenants: list[str] = Field(min_length=1, description="tenant ids, e.g. counties of the province")


class SharePublic(BaseModel):
    asset_id: str
    tenant_id: str = Field(description="the tenant granted read access")
    created_at: AwareDatetime

    @classmethod
    def of(cls, share: Share) -> SharePublic:
        return cls(asset_id=share.asset_id, tenant_id=share.tenant_id, created_at=share.created_at)


class ShareTarget(BaseModel):
    """A tenant (media centre) an asset can be shared with."""

    id: str
    name: str = Field(description="the centre's name, as people call it")

    @classmethod
    def of(cls, tenant: Tenant) -> ShareTarget:
        return cls(id=tenant.id, name=tenant.name or tenant.id)
