"""jobs: lease, backoff and resend bookkeeping (lease_until, retry_at, worker, sent_at, message_id)

A running job's worker holds a lease it extends every few seconds; a job whose lease ran out
(its worker was killed or lost) is taken up again by the workers still running. A job that failed
a passing fault waits in the queue until ``retry_at``. ``sent_at`` and ``message_id`` say when and
as what the job was last handed to the broker, so that a running worker resends what the broker
lost, and only one worker resends it. Jobs running when this migration runs have no lease: they
are taken up again (their workers, of the version before, stop for the upgrade).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("lease_until", sa.DateTime(timezone=True)),
    ("retry_at", sa.DateTime(timezone=True)),
    ("worker", sa.String(length=128)),
    ("sent_at", sa.DateTime(timezone=True)),
    ("message_id", sa.String(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        for name, kind in _COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        for name, _kind in reversed(_COLUMNS):
            batch_op.drop_column(name)
