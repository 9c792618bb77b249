"""search: the covering index a walk reads also holds each entry's owner and kind

A search on SQLite may check visibility on the matching rows instead of ANDing the viewer's token
into the FTS5 match (mam/search/walk.py); this index gives it owner and kind without reading the
row and its token stream. It replaces 0005's narrower index (on both backends, as the model says;
PostgreSQL walks its primary key and reads the rows).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_entries_visible", "search_entries", ["id", "asset_id", "tenant_id", "kind"])
    op.drop_index("ix_search_entries_id_asset", table_name="search_entries")


def downgrade() -> None:
    op.create_index("ix_search_entries_id_asset", "search_entries", ["id", "asset_id"])
    op.drop_index("ix_search_entries_visible", table_name="search_entries")
