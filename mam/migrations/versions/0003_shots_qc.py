"""shots and the analysis (QC measurements and report, storyboard) of each asset

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_analyses",
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("qc_profile", sa.String(length=64), nullable=False),
        sa.Column("qc", sa.JSON(), nullable=False),
        sa.Column("storage_prefix", sa.String(length=1000), nullable=False),
        sa.Column("poster_key", sa.String(length=1000), nullable=True),
        sa.Column("storyboard_sheets", sa.Integer(), nullable=False),
        sa.Column("storyboard_interval", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id"),
    )
    op.create_table(
        "shots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("first_frame", sa.Integer(), nullable=False),
        sa.Column("last_frame", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("start_timecode", sa.String(length=16), nullable=False),
        sa.Column("end_timecode", sa.String(length=16), nullable=False),
        sa.Column("transition", sa.String(length=16), nullable=False),
        sa.Column("transition_frames", sa.Integer(), nullable=False),
        sa.Column("keyframe_frame", sa.Integer(), nullable=True),
        sa.Column("keyframe_key", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("asset_id", "number", name="uq_shots_asset_number"),
    )
    with op.batch_alter_table("shots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shots_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shots_asset_id"))
    op.drop_table("shots")
    op.drop_table("asset_analyses")
