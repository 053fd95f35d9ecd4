"""Clearing a quarantine: an admin has looked at a participant whose tick failed and lets sweeps in again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.storage.audit import audit
from bot.storage.database import Database
from bot.storage.models import Participant


async def unquarantine(db: Database, code: str, now: datetime, actor: str = "cli") -> bool:
    """False when no quarantined participant has this code. Their next sweep ticks them again."""
    async with db.transaction() as session:
        row = await session.scalar(select(Participant).where(Participant.code == code))
        if row is None or row.quarantined_at is None:
            return False
        row.quarantined_at, row.updated_at = None, now
        audit(session, at=now, participant_id=row.id, actor=actor, action="unquarantined", detail={})
        return True


async def quarantined(db: Database) -> list[tuple[str, datetime]]:
    async with db.reading() as session:
        rows = await session.execute(
            select(Participant.code, Participant.quarantined_at)
            .where(Participant.quarantined_at.is_not(None))
            .order_by(Participant.quarantined_at)
        )
        return [(code or "?", at) for code, at in rows]
