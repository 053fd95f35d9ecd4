"""Named instants that survive a restart (``runtime_values``), e.g. the demo's simulated clock."""

from __future__ import annotations

from datetime import datetime

from bot.storage.database import Database
from bot.storage.tables_runtime import RuntimeValue

DEMO_CLOCK = "demo.clock"


async def load_instant(db: Database, name: str) -> datetime | None:
    async with db.reading() as session:
        row = await session.get(RuntimeValue, name)
        return row.at if row is not None else None


async def save_instant(db: Database, name: str, at: datetime, now: datetime) -> None:
    async with db.transaction() as session:
        row = await session.get(RuntimeValue, name)
        if row is None:
            session.add(RuntimeValue(name=name, at=at, updated_at=now))
        else:
            row.at, row.updated_at = at, now
