"""Which assets a tenant may see: the one place that decides visibility, for search and catalog reads.

A tenant sees the assets it owns and the assets other tenants shared with it (``asset_shares``, see
:mod:`mam.sharing`). Seeing is reading only: changes always require ownership (``mam.catalog``).

* :func:`visible_assets` is the SQLAlchemy predicate on :class:`~mam.models.Asset` (catalog reads, lists).
* :func:`visible_assets_sql` is the same predicate as SQL text on an ``assets`` alias, with the
  ``:viewer`` parameter, for the text statements of the search engine.
* :func:`visible_entries_sql` is the same predicate on a ``search_entries`` alias (its owner and asset).
* The search index applies the same rule through tokens: each entry carries the token of its owner
  and of every tenant its asset is shared with (:mod:`mam.search.index`), so a search matches the
  viewer's token, and a share granted or revoked re-tokenises that asset in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from mam.models import Asset, Share

__all__ = ["shared_with", "visible_assets", "visible_assets_sql", "visible_entries_sql"]


def shared_with(tenant_id: str) -> ColumnElement[bool]:
    """``Asset`` rows another tenant shared with ``tenant_id``."""
    return Asset.id.in_(select(Share.asset_id).where(Share.tenant_id == tenant_id))


def visible_assets(tenant_id: str) -> ColumnElement[bool]:
    """``Asset`` rows ``tenant_id`` may read: its own and those shared with it."""
    return or_(Asset.tenant_id == tenant_id, shared_with(tenant_id))


def visible_assets_sql(alias: str = "a", viewer: str = "viewer") -> str:
    """:func:`visible_assets` as SQL text on the ``assets`` alias ``alias``; bind ``:viewer`` to the tenant."""
    return _visible_sql(f"{alias}.tenant_id", f"{alias}.id", viewer)


def visible_entries_sql(alias: str = "e", viewer: str = "viewer") -> str:
    """:func:`visible_assets` as SQL text on the ``search_entries`` alias ``alias`` (an entry's
    ``tenant_id`` is its asset's owner); bind ``:viewer`` to the tenant."""
    return _visible_sql(f"{alias}.tenant_id", f"{alias}.asset_id", viewer)


def _visible_sql(owner: str, asset_id: str, viewer: str) -> str:
    shared = f"SELECT s.asset_id FROM asset_shares s WHERE s.tenant_id = :{viewer}"
    return f"({owner} = :{viewer} OR {asset_id} IN ({shared}))"
