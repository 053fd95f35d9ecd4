"""trial: allocations as a hash chain (the hash of the allocation before, and the row's own hash)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trial_allocations") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trial_allocations") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
