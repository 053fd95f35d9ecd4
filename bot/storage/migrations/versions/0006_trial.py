"""trial: applications, interviews, allocations, stratum counters, withdrawals

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _participant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["participant_id"],
        ["participants.id"],
        name=op.f(f"fk_{table}_participant_id_participants"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "trial_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("content_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _participant_fk("trial_applications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_applications")),
    )
    op.create_index(op.f("ix_trial_applications_participant_id"), "trial_applications", ["participant_id"])
    op.create_table(
        "trial_interviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=40), nullable=False),
        sa.Column("at", TS, nullable=False),
        _participant_fk("trial_interviews"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_interviews")),
    )
    op.create_index(op.f("ix_trial_interviews_participant_id"), "trial_interviews", ["participant_id"])
    op.create_table(
        "trial_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=40), nullable=False),
        sa.Column("stratum", sa.String(length=120), nullable=False),
        sa.Column("sequence_index", sa.Integer(), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("at", TS, nullable=False),
        _participant_fk("trial_allocations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_allocations")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_trial_allocations_participant_id")),
        sa.UniqueConstraint("stratum", "sequence_index", name=op.f("uq_trial_allocations_stratum_sequence_index")),
    )
    op.create_table(
        "trial_stratum_counters",
        sa.Column("stratum", sa.String(length=120), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stratum", name=op.f("pk_trial_stratum_counters")),
    )
    op.create_table(
        "trial_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("may_use_data", sa.Boolean(), nullable=False),
        sa.Column("by", sa.String(length=40), nullable=False),
        sa.Column("at", TS, nullable=False),
        _participant_fk("trial_withdrawals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_withdrawals")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_trial_withdrawals_participant_id")),
    )


def downgrade() -> None:
    op.drop_table("trial_withdrawals")
    op.drop_table("trial_stratum_counters")
    op.drop_table("trial_allocations")
    op.drop_index(op.f("ix_trial_interviews_participant_id"), table_name="trial_interviews")
    op.drop_table("trial_interviews")
    op.drop_index(op.f("ix_trial_applications_participant_id"), table_name="trial_applications")
    op.drop_table("trial_applications")
