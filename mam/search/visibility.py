"""Which assets a tenant may see: the one place that decides visibility, for search and catalog reads.

A tenant sees the assets it owns and the assets other tenants shared with it (``asset_shares``, see
:mod:`mam.sharing`). Seeing is reading only: changes always require ownership (``mam.catalog``).

* :func:`visible_assets` is the SQLAlchemy predicate on :class:`~mam.models.Asset` (catalog reads, lists).
* :func:`visible_assets_sql` is the same predicate as SQL text on an ``assets`` alias, with the
  ``:viewer`` parameter, for the text statements of the search engine.
* :func:`visible_tenant_ids` are the tenants whose *every* asset the tenant sees (only its own):
  a shared asset is visible alone, never the rest of its owner's catalogue.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from mam.models import Asset, Share

__all__ = ["shared_with", "visible_assets", "visible_assets_sql", "visible_tenant_ids"]


def visible_tenant_ids(session: Session, tenant_id: str) -> list[str]:
    """The tenants all of whose assets ``tenant_id`` may see: only its own (shares are per asset)."""
    return [tenant_id]


def shared_with(tenant_id: str) -> ColumnElement[bool]:
    """``Asset`` rows another tenant shared with ``tenant_id``."""
    return Asset.id.in_(select(Share.asset_id).where(Share.tenant_id == tenant_id))


def visible_assets(tenant_id: str) -> ColumnElement[bool]:
    """``Asset`` rows ``tenant_id`` may read: its own and those shared with it."""
    return or_(Asset.tenant_id == tenant_id, shared_with(tenant_id))


def visible_assets_sql(alias: str = "a", viewer: str = "viewer") -> str:
    """:func:`visible_assets` as SQL text on the ``assets`` alias ``alias``; bind ``:viewer`` to the tenant."""
    return (
        f"({alias}.tenant_id = :{viewer} OR {alias}.id IN "
        f"(SELECT s.asset_id FROM asset_shares s WHERE s.tenant_id = :{viewer}))"
    )
