"""search_entries: indexes on (shoot_date, id) and (duration, id) for sorted searches

A search sorted by shoot date or duration read every match, scored it, joined it to its asset and
sorted them all (湘乡: 3.8 s at 1M assets on PostgreSQL, 90 ms at 100k on SQLite). With these a
search walks the entries in the sort's order and stops once the page is full (mam/search/walk.py
``Plan.column_page``); the entries carry their asset's shoot date and duration since migration 0009.

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
    for name, columns in _INDEXES.items():
        op.create_index(name, "search_entries", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="search_entries")
