"""Reads and audit rows over a session the caller's unit of work owns (the trial service, the CLI).

The participant write path does not come here: events and sweeps write through the group-commit
writer and ``bot/storage/rows.py`` (Core statements, one per table per batch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.model import ParticipantState
from bot.storage.audit import audit as write_audit
from bot.storage.models import Participant
from bot.storage.rows import state_from_row


class Repository:
    def __init__(self, session: AsyncSession, lock_rows: bool) -> None:
        self.session = session
        self.lock_rows = lock_rows  # PostgreSQL: SELECT ... FOR UPDATE; SQLite is serialised already

    async def participant(self, participant_id: int) -> Participant | None:
        query = select(Participant).where(Participant.id == participant_id)
        if self.lock_rows:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def create_participant(
        self, channel: str, chat_id: str, language: str, timezone: str, now: datetime
    ) -> Participant:
        row = Participant(
            channel=channel, chat_id=chat_id, language=language, timezone=timezone, status="new",
            paused=False, unreachable=False, position={}, created_at=now, updated_at=now,
        )  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        row.code = f"P-{row.id:04d}"
        return row

    def audit(
        self,
        participant_id: int | None,
        actor: str,
        action: str,
        detail: dict[str, Any],
        now: datetime,
    ) -> None:
        write_audit(self.session, at=now, participant_id=participant_id, actor=actor, action=action, detail=detail)


def to_state(row: Participant) -> ParticipantState:
    """The engine's view of an ORM participant row (its position copied, not shared)."""
    return state_from_row(row, copy_position=True)
