"""search_entries: the asset's filterable columns (status, type, shoot date, duration) on each entry

A PostgreSQL search with a filter tested each matching entry's asset by looking it up by its text
id (6-8 us each at 1M assets: 1,600 lookups for 表彰 date:2023-01-01..2023-06-30); with the columns
on the entry the filter is tested on the row the search reads anyway. mam/search/index.py keeps
them in step with the asset. SQLite's search still reads them from its covering index of assets
(migration 0008), which is cheaper there than widening the entries' covering index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COLUMNS = ("status", "media_kind", "shoot_date", "duration")
_TRIGGER = (
    "CREATE TRIGGER search_entries_au AFTER UPDATE {columns}ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END"
)


def upgrade() -> None:
    # Plain ALTER TABLE on both backends: SQLite's batch mode would copy the table and lose the
    # triggers that keep the full-text index in step with it.
    op.add_column("search_entries", sa.Column("status", sa.String(16), nullable=True))
    op.add_column("search_entries", sa.Column("media_kind", sa.String(16), nullable=True))
    op.add_column("search_entries", sa.Column("shoot_date", sa.Date(), nullable=True))
    op.add_column("search_entries", sa.Column("duration", sa.Float(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Every entry is written again: without its GIN indexes, built once afterwards, instead of
        # each new row version adding its couple of hundred lexemes to each of them (hours at 1M
        # entries, against minutes). The indexes of the newest entries are left to the next
        # `mam optimize-index`.
        op.execute("DROP INDEX IF EXISTS ix_search_entries_recent")
        op.execute("DROP INDEX IF EXISTS ix_search_entries_newest")
        op.execute("DROP INDEX IF EXISTS ix_search_entries_tokens")
        op.execute(
            "UPDATE search_entries e SET status = a.status, media_kind = a.media_kind, "
            "shoot_date = a.shoot_date, duration = a.duration FROM assets a WHERE a.id = e.asset_id"
        )
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")
        op.execute("CREATE INDEX ix_search_entries_tokens ON search_entries USING gin (tokens) WITH (fastupdate = off)")
    else:
        # FTS5 re-reads an entry's tokens only when they (or its id) change, not on every update
        # of the row: the columns below change with the asset's status, and the backfill here.
        op.execute("DROP TRIGGER IF EXISTS search_entries_au")
        op.execute(_TRIGGER.format(columns="OF id, tokens "))
        op.execute(
            "UPDATE search_entries SET (status, media_kind, shoot_date, duration) = "
            "(SELECT a.status, a.media_kind, a.shoot_date, a.duration FROM assets a "
            "WHERE a.id = search_entries.asset_id)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_entries_au")
        op.execute(_TRIGGER.format(columns=""))
    for column in _COLUMNS:
        op.execute(f"ALTER TABLE search_entries DROP COLUMN {column}")  # SQLite 3.35 and later
