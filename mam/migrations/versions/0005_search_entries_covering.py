"""search: a covering index of entry id and asset, so a walk over matches skips the token streams

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_entries_id_asset", "search_entries", ["id", "asset_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_search_entries_id_asset", table_name="search_entries")
