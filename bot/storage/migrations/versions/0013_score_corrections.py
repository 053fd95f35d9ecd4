"""measures: corrections of closed administrations, kept beside the scores they correct

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("participant_id", sa.Integer(), sa.ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("instrument", sa.String(40), nullable=False),
        sa.Column("module_id", sa.String(40), nullable=False),
        sa.Column("step_id", sa.String(40), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("subscales", sa.JSON(), nullable=False),
        sa.Column("band", sa.String(40), nullable=True),
        sa.Column("items_missing", sa.JSON(), nullable=False),
        sa.Column("prorated", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("by", sa.String(80), nullable=False),
        sa.Column("content_version", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_score_corrections_participant_id", "score_corrections", ["participant_id"])


def downgrade() -> None:
    op.drop_index("ix_score_corrections_participant_id", table_name="score_corrections")
    op.drop_table("score_corrections")
