"""relay: relay_items state columns, topics, assignments, message map, tasks, log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("relay_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=12), server_default="question", nullable=False))
        batch_op.add_column(sa.Column("data", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column("stage", sa.String(length=12), server_default="new", nullable=False))
        batch_op.add_column(sa.Column("posted_at", TZ, nullable=True))
        batch_op.add_column(sa.Column("assigned_to", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("due_at", TZ, nullable=True))
        batch_op.add_column(sa.Column("nudges", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("answered_at", TZ, nullable=True))
        batch_op.add_column(sa.Column("answered_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("repeat_at", TZ, nullable=True))
        batch_op.add_column(sa.Column("acked_at", TZ, nullable=True))
        batch_op.create_index(batch_op.f("ix_relay_items_stage_id"), ["stage", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relay_items_due_at"), ["due_at"], unique=False)

    op.create_table(
        "relay_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_relay_topics_participant_id_participants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_topics")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_relay_topics_participant_id")),
    )  # fmt: skip
    op.create_index(op.f("ix_relay_topics_thread_id"), "relay_topics", ["thread_id"], unique=False)

    op.create_table(
        "relay_assignments",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_at", TZ, nullable=False),
        sa.Column("assigned_by", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_relay_assignments_participant_id_participants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_relay_assignments")),
    )  # fmt: skip
    op.create_index(op.f("ix_relay_assignments_therapist_id"), "relay_assignments", ["therapist_id"], unique=False)

    op.create_table(
        "relay_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=12), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"],
                                name=op.f("fk_relay_messages_outbox_id_outbox"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_relay_messages_participant_id_participants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["relay_items.id"],
                                name=op.f("fk_relay_messages_item_id_relay_items"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_messages")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_relay_messages_outbox_id")),
    )  # fmt: skip
    op.create_index(op.f("ix_relay_messages_participant_id"), "relay_messages", ["participant_id"], unique=False)

    op.create_table(
        "relay_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("therapist_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("done_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_relay_tasks_participant_id_participants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_tasks")),
        sa.UniqueConstraint("participant_id", "kind", name=op.f("uq_relay_tasks_participant_id_kind")),
    )  # fmt: skip

    op.create_table(
        "relay_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("therapist_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("week", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"],
                                name=op.f("fk_relay_log_participant_id_participants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["relay_items.id"],
                                name=op.f("fk_relay_log_item_id_relay_items"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_log")),
    )  # fmt: skip
    op.create_index(op.f("ix_relay_log_participant_id_week"), "relay_log", ["participant_id", "week"], unique=False)


def downgrade() -> None:
    op.drop_table("relay_log")
    op.drop_table("relay_tasks")
    op.drop_table("relay_messages")
    op.drop_table("relay_assignments")
    op.drop_table("relay_topics")
    with op.batch_alter_table("relay_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_items_due_at"))
        batch_op.drop_index(batch_op.f("ix_relay_items_stage_id"))
        for column in ("acked_at", "repeat_at", "answered_by", "answered_at", "nudges", "due_at", "assigned_to",
                       "posted_at", "stage", "data", "kind"):  # fmt: skip
            batch_op.drop_column(column)
