"""Engine and sessions for the catalog, and schema migration with Alembic.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout so that the
API, in-process workers and the CLI can share one file; PostgreSQL is used as is.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from mam.errors import ConfigError

__all__ = ["SessionFactory", "head_revision", "make_engine", "migrate", "schema_change"]

SessionFactory = sessionmaker[Session]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


_SQLITE_CACHE_KIB = 65_536
"""Page cache per connection (SQLite's default is 2 MiB): the search index's hot pages stay in it."""
_SQLITE_MMAP_BYTES = 1 << 30
"""Read the first GiB of the catalog through a memory map, not a copy per page read. Search at 100k
assets with a LIKE scan between rounds, p95, one run each on a noisy machine: 22.5 ms as before,
15.8 with the map, 17.9 with the cache, 17.9-20.6 with both. Address space only: the memory is the
operating system's file cache."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={_SQLITE_MMAP_BYTES}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; creates the directory of a SQLite file if needed."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError; say what to write instead
        raise ConfigError(f"MAM_DATABASE_URL={url!r} is not a database URL ({exc})") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


_PG_MIGRATION_LOCK = 0x6D616D  # an arbitrary advisory-lock key of our own ("mam")


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock on ``<catalog>.migrate.lock`` (SQLite runs DDL outside transactions)."""
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def head_revision() -> str:
    """The newest migration's revision: each file under ``migrations/versions`` is named after its
    revision, ``NNNN_what.py`` (tests/test_migration_upgrade.py holds every file to that)."""
    return max(p.name.split("_", 1)[0] for p in (_MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _at_head(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            versions = list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # no schema yet
        return False
    return versions == [head_revision()]


def _upgrade(connection: Connection) -> None:
    from alembic import command  # loaded only when there is something to upgrade (about 0.3 s)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


@contextmanager
def schema_change(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for changing the catalog's schema (committed if the block ends well).

    SQLite changes a table by rebuilding it (copy, drop, rename), and dropping a table that other
    tables' rows point at fails while foreign keys are enforced. So, as SQLite's own procedure for
    schema changes says: foreign keys off (outside the transaction), change, check every key, on."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise ConfigError(
                        f"the schema change would leave {len(broken)} row(s) pointing at nothing "
                        f"(first: table {broken[0][0]}, row {broken[0][1]}); nothing was changed"
                    )
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def migrate(engine: Engine) -> None:
    """Bring the catalog schema up to date (``alembic upgrade head``).

    Several processes (the API, workers, CLI commands) may start at once on a fresh catalog; the
    upgrade is serialised so that exactly one of them creates the schema and the others find it made.
    A catalog already at the newest revision is left alone without loading alembic.
    """
    if _at_head(engine):
        return
    if engine.dialect.name == "sqlite":
        with _sqlite_file_lock(engine), schema_change(engine) as connection:
            _upgrade(connection)
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        _upgrade(connection)
