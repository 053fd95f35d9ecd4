"""The application service: one inbound event or one due tick = one transaction.

It is the only place where the engine meets storage: load the participant (locked), let the engine
decide, write state + answers + outbox rows together, commit, then wake the sender. A redelivered
event id is recognised and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.engine import Engine, Inbound
from bot.engine.model import Effects, ParticipantState, TrialRequest
from bot.service_measures import SymptomPolicy, record_scores, write_pictures
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.storage.repository import Repository, to_state

log = logging.getLogger(__name__)


class ConversationService:
    def __init__(
        self,
        db: Database,
        engine: Engine,
        clock: Clock,
        *,
        timezone: str,
        language: str,
        staff_target: tuple[str, str] | None = None,
        wake_sender: Callable[[], None] = lambda: None,
        on_trial: Callable[[int, Sequence[TrialRequest]], Awaitable[None]] | None = None,
        symptoms: SymptomPolicy | None = None,  # measeng: the symptom check's instrument and threshold
        charts_dir: Path = Path("var/charts"),  # measeng: where /progress pictures are written
    ) -> None:
        self.db, self.engine, self.clock = db, engine, clock
        self.timezone, self.language = timezone, language
        self.staff_target = staff_target
        self.wake_sender = wake_sender
        self.on_trial = on_trial  # trialeng (issue 8): bot/trial/chat.py TrialChat.run, after the commit
        self.symptoms = symptoms or SymptomPolicy()
        self.charts_dir = charts_dir

    async def handle(
        self,
        channel: str,
        chat_id: str,
        event_id: str,
        inbound: Inbound,
        language: str | None = None,
    ) -> bool:
        """Handle one inbound event; False when its event id was seen before (nothing was done)."""
        try:
            processed = await self._handle(channel, chat_id, event_id, inbound, language)
        except IntegrityError:
            # A concurrent delivery of the same update won the race; ours rolled back whole.
            async with self.db.reading() as session:
                if await Repository(session, False).seen_event(channel, event_id):
                    return False
            raise
        if processed is None:
            return False
        participant_id, trial_requests = processed
        # trialeng (issue 8): what only the trial service can do runs right after the event's commit
        if trial_requests and self.on_trial is not None:
            await self.on_trial(participant_id, trial_requests)
        self.wake_sender()
        return True

    async def _handle(
        self, channel: str, chat_id: str, event_id: str, inbound: Inbound, language: str | None
    ) -> tuple[int, list[TrialRequest]] | None:
        """None when the event id was seen before; else the participant and the trial's requests."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            repo = Repository(session, lock_rows=not self.db.is_sqlite)
            if await repo.seen_event(channel, event_id):
                log.info("duplicate event %s:%s ignored", channel, event_id)
                return None
            row = await repo.participant_by_chat(channel, chat_id)
            if row is None:
                lang = self.engine.programme.language(language or self.language)
                row = await repo.create_participant(channel, chat_id, lang, self.timezone, now)
            await repo.record_event(channel, event_id, row.id, now)
            state = to_state(row)
            history = await repo.history(row.id) if self.engine.wants_history(inbound) else ()
            effects = self.engine.handle(state, inbound, now, history)
            # measeng: scores (and symptom-check notes) go in the same transaction as the answers
            await record_scores(session, self.engine.programme, row.id, row.code or state.code,
                                self.engine.programme.language(state.language), effects, self.symptoms, now)  # fmt: skip
            write_pictures(effects, self.charts_dir, row.code or state.code)
            self._save(repo, row, state, effects, event_id, now)
            log.info("event %s for %s: %s, %d answers, %d messages", inbound.kind, row.code, state.status,
                     len(effects.answers), len(effects.outbound))  # fmt: skip
            return row.id, effects.trial

    async def nudge(self, participant_id: int, decide: Callable[[ParticipantState, datetime], Effects]) -> None:
        """Run one engine decision for a participant outside any event of theirs (e.g. a therapist's
        interview outcome moving them on), in one transaction like an event (trialeng, issue 8)."""
        async with self.db.transaction() as session:
            await self.decide_in(session, participant_id, decide)
        self.wake_sender()

    async def decide_in(
        self, session: AsyncSession, participant_id: int, decide: Callable[[ParticipantState, datetime], Effects]
    ) -> None:
        """``nudge`` inside the caller's transaction (a staff command's: the staff record and the
        participant's next step commit together or not at all). The caller wakes the sender."""
        now = self.clock.now()
        repo = Repository(session, lock_rows=not self.db.is_sqlite)
        row = await repo.participant(participant_id)
        if row is None:
            return
        state = to_state(row)
        effects = decide(state, now)
        write_pictures(effects, self.charts_dir, row.code or state.code)  # e.g. the first unlock after the draw
        self._save(repo, row, state, effects, None, now)

    async def tick_due(self, limit: int = 500) -> int:
        """Let time pass for every participant whose ``next_due_at`` has come; returns how many."""
        now = self.clock.now()
        async with self.db.reading() as session:
            due = await Repository(session, False).due_participants(now, limit)
        messages = 0
        for participant_id in due:
            async with self.db.transaction() as session:
                repo = Repository(session, lock_rows=not self.db.is_sqlite)
                row = await repo.participant(participant_id)
                if row is None or row.next_due_at is None or row.next_due_at > now:
                    continue  # another sweep got here first
                state = to_state(row)
                effects = self.engine.tick(state, now)
                write_pictures(effects, self.charts_dir, row.code or state.code)  # a module unlock's chart
                self._save(repo, row, state, effects, None, now)
                messages += len(effects.outbound)
        if messages:
            self.wake_sender()
        return len(due)

    def _save(
        self,
        repo: Repository,
        row: Participant,
        state: ParticipantState,
        effects: Effects,
        event_id: str | None,
        now: datetime,
    ) -> None:
        """Everything is stamped with the time the engine decided at, not a later clock read."""
        programme = self.engine.programme
        repo.save(row, state, effects, now=now, version=programme.version, next_due=self.engine.next_due(state, now),
                  event_id=event_id)  # fmt: skip
