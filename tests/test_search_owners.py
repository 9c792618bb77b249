"""A search's hits carry their owner's display name without a database read per hit: the owning tenants
are read once with the page (SearchResult.owners), and writing the hits out reads nothing more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import catalog_asset, make_settings
from sqlalchemy import event

from mam.catalog import ensure_tenant, list_assets
from mam.public import AssetSummary, HitPublic, marked
from mam.search import SearchRequest, search
from mam.services import open_services


def test_the_hits_owner_names_are_read_with_the_page_not_once_per_hit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    services = open_services(settings)
    try:
        with services.session() as session:
            name = ensure_tenant(session, settings.default_tenant).name
            session.add_all(catalog_asset(settings.default_tenant, n, f"防汛检查 第{n}期") for n in range(12))
            session.commit()
        with services.session() as session:
            result = search(session, settings.default_tenant, SearchRequest(q="防汛", limit=10, facets=False))
            assert len(result.hits) == 10 and set(result.owners) == {settings.default_tenant}
            statements: list[str] = []

            def count(*args: Any) -> None:
                statements.append(str(args[2]))

            engine = session.get_bind()
            event.listen(engine, "before_cursor_execute", count)
            try:
                written = [marked(HitPublic.of(hit), settings.default_tenant) for hit in result.hits]
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert name and {hit.asset.owner_name for hit in written} == {name}
            assert statements == []
    finally:
        services.close()


def test_a_list_reads_each_owning_tenant_once_whatever_the_number_of_its_assets(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    services = open_services(settings)
    try:
        with services.session() as session:
            name = ensure_tenant(session, settings.default_tenant).name
            session.add_all(catalog_asset(settings.default_tenant, n, f"春耕 第{n}期") for n in range(12))
            session.commit()
        with services.session() as session:
            assets = list_assets(session, settings.default_tenant, limit=12).items
            assert len(assets) == 12
            statements: list[str] = []

            def count(*args: Any) -> None:
                statements.append(str(args[2]))

            engine = session.get_bind()
            event.listen(engine, "before_cursor_execute", count)
            try:
                written = [AssetSummary.of(asset) for asset in assets]
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert {a.owner_name for a in written} == {name}
            assert sum("FROM tenants" in s for s in statements) <= 1, statements
    finally:
        services.close()
