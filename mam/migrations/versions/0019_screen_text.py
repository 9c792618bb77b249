"""screen_text: lines of on-screen text (OCR) the analysis read, timed like subtitle cues (#19)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screen_text",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("screen_text", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screen_text_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screen_text", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screen_text_asset_id"))
    op.drop_table("screen_text")
