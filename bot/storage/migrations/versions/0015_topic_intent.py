"""relay: a participant's topic is recorded as an intent before the Bot API creates it

``state`` is "creating" from the moment the row is committed until the thread id is stored
("ready"); ``attempted_at`` says when the last ``createForumTopic`` call began, so a call whose
reply was lost (or whose process died) is made again only once that attempt is clearly over.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("relay_topics") as batch:
        batch.add_column(sa.Column("state", sa.String(length=12), server_default="ready", nullable=False))
        batch.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("relay_topics") as batch:
        batch.drop_column("attempted_at")
        batch.drop_column("state")
