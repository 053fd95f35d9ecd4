"""One engine decision for a participant outside any event of theirs: a therapist's interview outcome,
the draw, staff lifting a pause.

Built before the services that use it (the trial's chat, the staff's ``/release``, the conversation
service), so each is built complete and none is patched afterwards. Its rows are written by the same
``EffectRows`` as an event's and a sweep's: one writer for what the engine decided.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.charts.files import Pictures
from bot.clock import Clock
from bot.engine import Engine
from bot.engine.model import Effects, ParticipantState
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.storage.rows import PARTICIPANTS, EffectRows, Target, state_from_row

Decide = Callable[[ParticipantState, datetime], Effects]


class Decisions:
    def __init__(
        self, db: Database, engine: Engine, clock: Clock, pictures: Pictures, wake_sender: Callable[[], None]
    ) -> None:
        self.db, self.engine, self.clock = db, engine, clock
        self.pictures, self.wake_sender = pictures, wake_sender

    async def nudge(self, participant_id: int, decide: Decide) -> None:
        """``decide`` in a transaction of its own, like an event; the sender is woken after the commit."""
        async with self.db.transaction() as session:
            await self.decide_in(session, participant_id, decide)
        self.wake_sender()

    async def decide_in(self, session: AsyncSession, participant_id: int, decide: Decide) -> None:
        """``nudge`` inside the caller's transaction (a staff command's: the staff record and the
        participant's next step commit together or not at all). The caller wakes the sender."""
        now = self.clock.now()
        await session.run_sync(lambda sync: self._decide(sync, participant_id, decide, now))

    def _decide(self, session: Session, participant_id: int, decide: Decide, now: datetime) -> None:
        session.flush()  # the caller's own changes first, in the order they were made
        conn = session.connection()
        query = select(PARTICIPANTS).where(PARTICIPANTS.c.id == participant_id)
        row = conn.execute(query if self.db.is_sqlite else query.with_for_update()).one_or_none()
        if row is None:
            return
        state = state_from_row(row)
        effects = decide(state, now)
        self.pictures(effects, row.code or state.code)  # e.g. the first unlock after the draw
        rows = EffectRows(version=self.engine.programme.version)
        target = Target(row.id, row.code, row.channel, row.chat_id)
        # Everything is stamped with the time the engine decided at; no event: bulk priority, as before.
        rows.add(target, state, effects, now=now, next_due=self.engine.next_due(state, now), event_id=None)
        rows.flush(conn)
        for held in list(session.identity_map.values()):  # the caller's copy of this row reads it afresh
            if isinstance(held, Participant) and held.id == participant_id:
                session.refresh(held)
