"""jobs: lane (urgent, normal or bulk), chosen at the request; a free worker slot takes the highest
lane's job first. Jobs already in the catalog are ``normal``.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=8), nullable=False, server_default="normal"))
        batch_op.create_index(batch_op.f("ix_jobs_lane"), ["lane"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_lane"))
        batch_op.drop_column("lane")
