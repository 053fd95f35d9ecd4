"""trial requests: what an event asked of the trial, written in the event's transaction

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trial_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_trial_requests_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_requests")),
    )
    op.create_index(op.f("ix_trial_requests_participant_id"), "trial_requests", ["participant_id"])
    op.create_index(op.f("ix_trial_requests_status"), "trial_requests", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_trial_requests_status"), table_name="trial_requests")
    op.drop_index(op.f("ix_trial_requests_participant_id"), table_name="trial_requests")
    op.drop_table("trial_requests")
