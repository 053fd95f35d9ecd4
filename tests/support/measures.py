"""A stored participant row for the measures' storage tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage.database import Database
from bot.storage.models import Participant

AT = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


async def new_participant(db: Database) -> int:
    async with db.transaction() as session:
        row = Participant(
            code="P-0001", channel="test", chat_id="1", language="en", timezone="Europe/Stockholm",
            status="active", paused=False, unreachable=False, position={}, created_at=AT, updated_at=AT,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return row.id
