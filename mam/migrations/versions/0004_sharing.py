"""asset shares: read access granted by an asset's owner to other tenants

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_shares",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("asset_id", "tenant_id", name="uq_asset_shares_asset_tenant"),
    )
    op.create_index(op.f("ix_asset_shares_asset_id"), "asset_shares", ["asset_id"], unique=False)
    op.create_index(op.f("ix_asset_shares_tenant_id"), "asset_shares", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_shares_tenant_id"), table_name="asset_shares")
    op.drop_index(op.f("ix_asset_shares_asset_id"), table_name="asset_shares")
    op.drop_table("asset_shares")
