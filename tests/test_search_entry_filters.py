"""Every entry carries its asset's filterable columns (status, type, shoot date, duration: migration
0009) and facet columns (programme, tags: 0010), kept in step with the asset; PostgreSQL filters on
them and counts facets over them without looking assets up."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from alembic import command
from alembic.config import Config
from conftest import catalog_asset
from sqlalchemy import event, inspect, text

from mam.db import _MIGRATIONS, schema_change
from mam.models import Asset, Span, SubtitleCue
from mam.search import SearchRequest, search
from mam.services import Services

_COLUMNS = "status, media_kind, shoot_date, duration, programme, tags"
_KINDS = ("asset", "marker", "subtitle")


def _entries(services: Services, asset_id: str) -> set[tuple[object, ...]]:
    with services.session() as session:
        rows = session.execute(
            text(f"SELECT kind, {_COLUMNS} FROM search_entries WHERE asset_id = :id"), {"id": asset_id}
        ).all()
    # Tags come back as a list (PostgreSQL's json) or as JSON text (SQLite's, read as plain text here).
    return {
        (kind, status, type_, str(shot) if shot else None, duration, programme, tuple(_tags(tags)))
        for kind, status, type_, shot, duration, programme, tags in rows
    }


def _tags(value: Any) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value)


def _found(services: Services, q: str) -> list[tuple[str, list[str]]]:
    with services.session() as session:
        result = search(session, services.settings.default_tenant, SearchRequest(q=q))
    return [(h.asset.id, sorted(i.kind for i in h.inner)) for h in result.hits]


def _catalogue(services: Services) -> str:
    with services.session() as session:
        asset = catalog_asset(services.settings.default_tenant, 1, "春耕备耕新闻")
        asset.shoot_date, asset.duration = date(2023, 3, 5), 95.0
        asset.programme, asset.tags = "农业天地", ["春耕", "农业"]
        session.add(asset)
        session.flush()
        session.add(Span(asset_id=asset.id, kind="marker", start=1.0, end=2.0, title="春耕现场"))
        session.add(SubtitleCue(asset_id=asset.id, position=1, start=3.0, end=4.0, text="今年春耕提前"))
        session.commit()
        return asset.id


def test_entries_follow_their_assets_filterable_columns(services: Services) -> None:
    asset_id = _catalogue(services)
    assert _entries(services, asset_id) == {
        (kind, "processing", "video", "2023-03-05", 95.0, "农业天地", ("春耕", "农业")) for kind in _KINDS
    }
    within = "春耕 type:video status:processing date:2023-03-01..2023-03-31 duration:60..120"
    assert _found(services, within) == [(asset_id, ["marker", "subtitle"])]

    with services.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status, asset.media_kind, asset.shoot_date, asset.duration = "ready", "audio", date(2024, 1, 2), 30.0
        session.commit()
    # The asset's own entry and its marker's and subtitle line's: each updated, none re-tokenised away.
    assert _entries(services, asset_id) == {
        (kind, "ready", "audio", "2024-01-02", 30.0, "农业天地", ("春耕", "农业")) for kind in _KINDS
    }
    assert _found(services, within) == []
    assert _found(services, "春耕 type:audio status:ready date:2024-01-02 duration:..31") == [
        (asset_id, ["marker", "subtitle"])
    ]
    assert _found(services, "现场 type:audio") == [(asset_id, ["marker"])]  # a span's words, its asset's type

    with services.session() as session:  # the facet columns: copied again, or with the re-tokenised entries
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.tags = ["春耕"]
        session.commit()
        asset.programme, asset.status = "新闻联播", "failed"
        session.commit()
    assert _entries(services, asset_id) == {
        (kind, "failed", "audio", "2024-01-02", 30.0, "新闻联播", ("春耕",)) for kind in _KINDS
    }


def test_facets_are_counted_over_the_entries_own_columns(services: Services) -> None:
    asset_id = _catalogue(services)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(services.engine, "before_cursor_execute", seen)
    try:
        with services.session() as session:
            result = search(session, services.settings.default_tenant, SearchRequest(q="春耕 type:video"))
    finally:
        event.remove(services.engine, "before_cursor_execute", seen)
    assert [h.asset.id for h in result.hits] == [asset_id]
    assert result.facets is not None
    counted = {name: sorted((v.value, v.count) for v in values) for name, values in vars(result.facets).items()}
    assert counted == {
        "programme": [("农业天地", 1)],
        "tags": [("农业", 1), ("春耕", 1)],
        "media_type": [("video", 1)],
        "shoot_month": [("2023-03", 1)],
    }
    sample = next(s for s in statements if s.startswith("WITH s AS"))
    # PostgreSQL counts them on the sampled entries; SQLite reads its covering index of the assets.
    assert ("FROM assets" in sample) == (services.engine.dialect.name == "sqlite")


def test_the_migration_copies_the_columns_of_existing_assets(services: Services) -> None:
    asset_id = _catalogue(services)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with schema_change(services.engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
        assert "status" not in {c["name"] for c in inspect(connection).get_columns("search_entries")}
        command.upgrade(config, "head")
    assert _entries(services, asset_id) == {
        (kind, "processing", "video", "2023-03-05", 95.0, "农业天地", ("春耕", "农业")) for kind in _KINDS
    }
    assert _found(services, "春耕 type:video date:2023-03-05") == [(asset_id, ["marker", "subtitle"])]
    with services.session() as session:  # changing the columns leaves the full-text index whole
        session.execute(text("UPDATE search_entries SET status = 'failed' WHERE asset_id = :id"), {"id": asset_id})
        session.commit()
    assert _found(services, "春耕") == [(asset_id, ["marker", "subtitle"])]
    with services.session() as session:  # the full-text index still takes new entries (SQLite's triggers)
        later = catalog_asset(services.settings.default_tenant, 2, "春耕新闻")
        session.add(later)
        session.commit()
        later_id = later.id
    assert [a for a, _ in _found(services, "春耕")] == [later_id, asset_id]
