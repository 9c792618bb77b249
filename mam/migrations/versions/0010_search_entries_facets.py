"""search_entries: the asset's facet columns (programme, tags) on each entry

A PostgreSQL search with facets looked up each sampled entry's asset by its text id for its
programme and tags (4-5 ms of a 1,000-entry sample at 1M assets); with the columns on the entry
(beside the filter columns of migration 0009) it counts them on the rows it sampled.
mam/search/index.py keeps them in step with the asset. SQLite's search still reads them from its
covering index of assets (migration 0008).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, as in 0009: SQLite's batch mode would lose the full-text triggers.
    op.add_column("search_entries", sa.Column("programme", sa.String(200), nullable=True))
    op.add_column("search_entries", sa.Column("tags", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # As in 0009: every entry is written again, without its GIN indexes (built once afterwards;
        # the newest entries' indexes are left to the next `mam optimize-index`).
        op.execute("DROP INDEX IF EXISTS ix_search_entries_recent")
        op.execute("DROP INDEX IF EXISTS ix_search_entries_newest")
        op.execute("DROP INDEX IF EXISTS ix_search_entries_tokens")
        op.execute(
            "UPDATE search_entries e SET programme = a.programme, tags = a.tags FROM assets a WHERE a.id = e.asset_id"
        )
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")
        op.execute("CREATE INDEX ix_search_entries_tokens ON search_entries USING gin (tokens) WITH (fastupdate = off)")
    else:
        # The full-text trigger fires only when an entry's id or tokens change (migration 0009).
        op.execute(
            "UPDATE search_entries SET (programme, tags) = "
            "(SELECT a.programme, a.tags FROM assets a WHERE a.id = search_entries.asset_id)"
        )


def downgrade() -> None:
    for column in ("programme", "tags"):
        op.execute(f"ALTER TABLE search_entries DROP COLUMN {column}")  # SQLite 3.35 and later
