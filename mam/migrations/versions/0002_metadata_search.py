"""descriptive metadata, spans and subtitles, and the search index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The search index is one table of token streams (``search_entries``) written by mam/search. On SQLite
an FTS5 table with external content indexes it, kept in step by triggers; on PostgreSQL the
``tokens`` column is a tsvector with a GIN index (plain PostgreSQL, no extension needed).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_definitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_field_definitions_tenant_name"),
    )
    op.create_index(op.f("ix_field_definitions_tenant_id"), "field_definitions", ["tenant_id"], unique=False)
    op.create_table(
        "search_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("tokens", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_search_entries_asset_id"), "search_entries", ["asset_id"], unique=False)
    op.create_index(op.f("ix_search_entries_ref_id"), "search_entries", ["ref_id"], unique=False)
    op.create_index(op.f("ix_search_entries_tenant_id"), "search_entries", ["tenant_id"], unique=False)
    op.create_table(
        "spans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_spans_asset_id"), "spans", ["asset_id"], unique=False)
    op.create_table(
        "subtitle_cues",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("track", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_subtitle_cues_asset_id"), "subtitle_cues", ["asset_id"], unique=False)
    op.add_column("assets", sa.Column("programme", sa.String(length=200), server_default="", nullable=False))
    op.add_column("assets", sa.Column("reporter", sa.String(length=200), server_default="", nullable=False))
    op.add_column("assets", sa.Column("place", sa.String(length=200), server_default="", nullable=False))
    op.add_column("assets", sa.Column("shoot_date", sa.Date(), nullable=True))
    op.add_column("assets", sa.Column("rights", sa.String(length=500), server_default="", nullable=False))
    op.add_column("assets", sa.Column("rights_expiry", sa.Date(), nullable=True))
    op.add_column("assets", sa.Column("language", sa.String(length=35), server_default="", nullable=False))
    op.add_column("assets", sa.Column("custom", sa.JSON(), server_default="{}", nullable=False))
    op.create_index(op.f("ix_assets_shoot_date"), "assets", ["shoot_date"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE INDEX ix_search_entries_tokens ON search_entries USING gin (tokens) WITH (fastupdate = off)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_entries_tokens")
    op.drop_index(op.f("ix_assets_shoot_date"), table_name="assets")
    op.drop_column("assets", "custom")
    op.drop_column("assets", "language")
    op.drop_column("assets", "rights_expiry")
    op.drop_column("assets", "rights")
    op.drop_column("assets", "shoot_date")
    op.drop_column("assets", "place")
    op.drop_column("assets", "reporter")
    op.drop_column("assets", "programme")
    op.drop_index(op.f("ix_subtitle_cues_asset_id"), table_name="subtitle_cues")
    op.drop_table("subtitle_cues")
    op.drop_index(op.f("ix_spans_asset_id"), table_name="spans")
    op.drop_table("spans")
    op.drop_index(op.f("ix_search_entries_tenant_id"), table_name="search_entries")
    op.drop_index(op.f("ix_search_entries_ref_id"), table_name="search_entries")
    op.drop_index(op.f("ix_search_entries_asset_id"), table_name="search_entries")
    op.drop_table("search_entries")
    op.drop_index(op.f("ix_field_definitions_tenant_id"), table_name="field_definitions")
    op.drop_table("field_definitions")


# FTS5 over search_entries.tokens (external content). The "ascii" tokenizer splits on ASCII
# separators only and keeps every non-ASCII character, so the Python tokeniser alone decides the
# tokens (CJK bigrams, words, pinyin) exactly as it does for PostgreSQL's tsvector.
_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='search_entries', content_rowid='id', "
    "tokenize=\"ascii tokenchars '_'\")",
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
]
