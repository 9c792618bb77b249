"""Where an asset can be shared: the other tenants (media centres) an owner may name in a share.

The web page lists them by name so an editor picks a centre rather than typing its id; the rule is
the one :func:`mam.sharing.share_asset` applies (any known tenant but the owner itself).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mam.models import Tenant

__all__ = ["list_share_targets"]


def list_share_targets(session: Session, tenant_id: str) -> list[Tenant]:
    """Every tenant but ``tenant_id``, by id."""
    return list(session.scalars(select(Tenant).where(Tenant.id != tenant_id).order_by(Tenant.id)))
