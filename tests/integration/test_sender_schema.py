"""Migration 0004 (sender) creates exactly what the models declare for the outbox, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.storage.models import Base


def outbox_differences(connection) -> list:
    diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    return [d for d in flat if "outbox" in repr(d)]


async def test_the_outbox_columns_and_index_of_the_models_match_the_migrations(db):
    async with db.engine.connect() as conn:
        assert await conn.run_sync(outbox_differences) == []
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in __import__("sqlalchemy").inspect(c).get_columns("outbox")}
        )
    assert {"priority", "claimed_by", "claimed_at", "parts_sent", "refused_at"} <= columns
