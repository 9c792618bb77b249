"""An asset's owner name is read once per session and owning tenant (mam.public.assets keeps the names
in ``session.info``), not once per asset: a page of search hits or of the list reads the tenant once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import catalog_asset, make_settings
from sqlalchemy import event
from sqlalchemy.orm import Session

from mam.catalog import ensure_tenant, list_assets
from mam.public import AssetSummary, HitPublic, marked
from mam.search import SearchRequest, search
from mam.services import open_services


def _tenant_reads(session: Session, write: Callable[[], list[str]]) -> tuple[list[str], int]:
    """What ``write`` returns, and how many statements it sent that read tenants."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        names = write()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return names, sum("FROM tenants" in s for s in statements)


def test_a_page_of_hits_or_of_the_list_reads_its_owning_tenant_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    tenant = settings.default_tenant
    services = open_services(settings)
    try:
        with services.session() as session:
            name = ensure_tenant(session, tenant).name
            session.add_all(catalog_asset(tenant, n, f"防汛检查 第{n}期") for n in range(12))
            session.commit()
        with services.session() as session:
            hits = search(session, tenant, SearchRequest(q="防汛", limit=10, facets=False)).hits
            assert len(hits) == 10
            names, reads = _tenant_reads(
                session, lambda: [marked(HitPublic.of(hit), tenant).asset.owner_name for hit in hits]
            )
            assert set(names) == {name} and reads == 1
        with services.session() as session:
            assets = list_assets(session, tenant, limit=12).items
            assert len(assets) == 12
            names, reads = _tenant_reads(session, lambda: [AssetSummary.of(a).owner_name for a in assets])
            assert set(names) == {name} and reads == 1
    finally:
        services.close()
