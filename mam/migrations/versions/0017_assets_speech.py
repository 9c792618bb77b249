"""assets: has_speech, whether the analysis heard speech (search filter speech:yes / speech:no)

Null until a render job's analysis has listened to the asset's sound (an asset without audio stays
null): ``speech:no`` finds only assets that were heard and held no speech.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("assets", sa.Column("has_speech", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.drop_column("has_speech")
