"""An embedded catalog made by an earlier version upgrades in place, its rows kept and their keys whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect, text

import mam.db
from mam.db import _MIGRATIONS, head_revision, make_engine, migrate, schema_change
from mam.errors import ConfigError

_ASSET = (
    "INSERT INTO assets (id, tenant_id, title, description, tags, media_kind, status, original_filename, "
    "original_key, size, sha256, xxh3, mediainfo, created_at, updated_at, programme, reporter, place, rights, "
    "language, custom) VALUES (:id, :tenant, 't', '', '[]', 'video', 'ready', 'f.mp4', 'k', 1, :sha, 'x', '{}', "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '', '', '', '', '', '{}')"
)


def _at(engine_url: str, revision: str) -> None:
    engine = make_engine(engine_url)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with schema_change(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_a_sqlite_catalog_with_assets_upgrades_through_tables_that_are_rebuilt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    _at(url, "0012")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('county', 'c', CURRENT_TIMESTAMP)"))
        connection.execute(text(_ASSET), {"id": "a1", "tenant": "county", "sha": "1" * 64})

    migrate(engine)  # 0013 rebuilds tenants, which assets point at

    with engine.connect() as connection:
        assert "parent_id" in {c["name"] for c in inspect(connection).get_columns("tenants")}
        assert connection.execute(text("SELECT tenant_id FROM assets")).scalars().all() == ["county"]
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforced again afterwards
    engine.dispose()


def test_a_schema_change_that_would_leave_rows_pointing_at_nothing_is_refused_and_undone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    _at(url, "head")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tenants (id, name, created_at) VALUES ('county', 'c', CURRENT_TIMESTAMP)"))
        connection.execute(text(_ASSET), {"id": "a1", "tenant": "county", "sha": "1" * 64})

    with pytest.raises(ConfigError, match="pointing at nothing"), schema_change(engine) as connection:
        connection.execute(text("DELETE FROM tenants WHERE id = 'county'"))

    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM tenants WHERE id = 'county'")).scalar() == "county"
    engine.dispose()


def test_each_migration_is_named_after_its_revision_and_the_newest_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_"), script.path
    assert head_revision() == scripts.get_current_head()


def test_a_catalog_at_the_newest_revision_starts_without_running_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    migrate(engine)  # made from nothing: alembic runs
    ran: list[Connection] = []
    monkeypatch.setattr(mam.db, "_upgrade", ran.append)
    migrate(engine)
    assert ran == []
    with engine.begin() as connection:  # one revision behind: it upgrades again
        connection.execute(text("UPDATE alembic_version SET version_num = '0018'"))
    migrate(engine)
    assert len(ran) == 1
    engine.dispose()
