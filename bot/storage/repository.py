"""Reads and audit rows over a session the caller's unit of work owns (the trial service, the CLI).

The participant write path does not come here: events and sweeps write through the group-commit
writer and ``bot/storage/rows.py`` (Core statements, one per table per batch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.model import Effects, ParticipantState
from bot.storage.audit import audit as write_audit
from bot.storage.models import Answer, Consent, Participant, RelayItem
from bot.storage.outbox import outbox_message
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

    def save(
        self,
        row: Participant,
        state: ParticipantState,
        effects: Effects,
        *,
        now: datetime,
        version: str,
        next_due: datetime | None,
        event_id: str | None,
    ) -> None:
        """Write the new state and everything the event caused, in the caller's transaction."""
        row.status, row.paused, row.start_date = state.status, state.paused, state.start_date
        row.language, row.timezone = state.language, state.timezone
        row.position = state.position_json()
        row.next_due_at, row.updated_at = next_due, now
        add = self.session.add
        for a in effects.answers:
            add(Answer(participant_id=row.id, module_id=a.module, step_id=a.step, field_id=a.field, entry_id=a.entry,
                       value=a.value, content_version=version, answered_at=now, event_id=event_id))  # fmt: skip
        for c in effects.consents:
            add(
                Consent(
                    participant_id=row.id,
                    version=c.version,
                    agreed=c.agreed,
                    content_version=version,
                    at=now,
                )
            )
        for r in effects.relays:
            # Only the item: the relay service posts it to the staff group in its own transaction.
            add(RelayItem(participant_id=row.id, source=r.source, text=r.text, status="open", created_at=now,
                          kind=r.kind, data=dict(r.data)))  # fmt: skip
        for out in effects.outbound:
            add(outbox_message(row.id, (row.channel, row.chat_id), out.to_payload(), now, dedup_key=out.dedup_key))
        for action, detail in effects.audit:
            self.audit(row.id, "engine", action, detail, now)


def to_state(row: Participant) -> ParticipantState:
    """The engine's view of an ORM participant row (its position copied, not shared)."""
    return state_from_row(row, copy_position=True)
