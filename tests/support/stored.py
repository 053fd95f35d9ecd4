"""What the database holds: every row or the SQLite file's bytes that contain a participant's words."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.storage.metadata import METADATA


async def rows_holding(db, needle: str) -> list[str]:
    """Every table row (all columns as text) that contains ``needle``."""
    found: list[str] = []
    async with db.reading() as session:
        for table in METADATA.sorted_tables:
            for row in (await session.execute(select(table))).all():
                if needle in repr(tuple(row)):
                    found.append(table.name)
    return found


def file_bytes(db) -> bytes:
    path = Path(db.url.split(":///", 1)[1])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())
