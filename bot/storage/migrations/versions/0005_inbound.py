"""inbound: quarantine column, relay kind (if missing), runtime values (the demo clock)

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True))
    if "kind" not in _columns("relay_items"):  # the relay area may have added it already
        with op.batch_alter_table("relay_items") as batch:
            batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="question"))
    op.create_table(
        "runtime_values",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_runtime_values")),
    )


def downgrade() -> None:
    op.drop_table("runtime_values")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("quarantined_at")
