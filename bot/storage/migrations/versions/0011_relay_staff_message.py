"""relay: the staff message a log row is about (a reply sent, a message kept among staff)

An edited reply finds the participant's copy, and a kept message its text, by this id.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("relay_log") as batch:
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("relay_log") as batch:
        batch.drop_column("message_id")
