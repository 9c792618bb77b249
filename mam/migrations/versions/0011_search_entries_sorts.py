"""search_entries (PostgreSQL): indexes on (shoot_date, id) and (duration, id) for sorted searches

A search sorted by shoot date or duration read every match, joined it to its asset and sorted
them all (3.8 s for 湘乡 at 1M assets). With these a search walks the entries in the sort's order
and stops once the page is full (mam/search/walk.py ``Plan.column_page``); the entries carry their
asset's shoot date and duration since migration 0009. SQLite still sorts every match.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_INDEXES = {"ix_search_entries_shoot_date": ["shoot_date", "id"], "ix_search_entries_duration": ["duration", "id"]}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, columns in _INDEXES.items():
            op.create_index(name, "search_entries", columns)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _INDEXES:
            op.drop_index(name, table_name="search_entries")
