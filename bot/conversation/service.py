"""The application service: where the engine meets storage.

``handle`` runs one inbound event as one job of the group-commit writer: read the participant (row
locked on PostgreSQL), record the event id with ``INSERT … ON CONFLICT DO NOTHING`` (a redelivered
id finds its row and does nothing), let the engine decide, write state + answers + outbox rows and
what the event asked of the trial (``bot/conversation/requests.py``), all in one transaction. It
returns only after the batch holding the event has committed, and only then wakes the sender, so a
reply is never sent for an event that could still be lost. ``tick_due`` lets time pass for everyone
who is due (see ``scheduler/sweep.py``).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts.files import Pictures
from bot.clock import Clock
from bot.conversation.decisions import Decide, Decisions
from bot.conversation.requests import Step, TrialRequests, write_requests
from bot.engine import Engine, Inbound
from bot.engine.model import Effects, ParticipantState
from bot.measures.service import SymptomPolicy, record_scores
from bot.storage.database import Database
from bot.storage.models import PRIORITY_INTERACTIVE
from bot.storage.rows import AT_FLUSH, PARTICIPANTS, EffectRows, Statements, Target, history, state_from_row, statements
from bot.storage.writer import GroupCommitWriter

log = logging.getLogger(__name__)


class SweepOutcome(Protocol):
    ticked: int
    messages: int
    quarantined: int
    skipped: bool


class Sweep(Protocol):
    """What the service asks of the sweep (``scheduler.sweep.Sweeper``): the scheduler builds on the
    conversation, never the other way round."""

    async def sweep(self) -> SweepOutcome: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Event:
    channel: str
    chat_id: str
    event_id: str
    inbound: Inbound
    language: str | None
    now: datetime


# A service built without settings (a test, a script) writes its pictures to the system's temporary
# folder, never into the working directory; ``bootstrap`` passes the ``charts_dir`` setting.
DEFAULT_CHARTS_DIR = Path(tempfile.gettempdir()) / "icbt-charts"


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
        max_batch: int = 50,
        on_trial: Step | None = None,  # does one trial request in its transaction (bot/trial/chat.py)
        symptoms: SymptomPolicy | None = None,  # the symptom check's instrument and threshold
        pictures: Pictures,  # charts drawn to files (bootstrap: into the charts_dir setting)
        sweeper: Sweep,  # lets time pass for everyone due (scheduler/sweep.py), built by the composition root
        decisions: Decisions,  # one decision outside an event (bot/conversation/decisions.py)
        after_sweep: Callable[[], Awaitable[int]]
        | None = None,  # the trial's draws due become requests (TrialChat.draws_due)
    ) -> None:
        self.after_sweep = after_sweep
        self.db, self.engine, self.clock = db, engine, clock
        self.timezone, self.language = timezone, language
        self.staff_target = staff_target
        self.wake_sender = wake_sender
        self.symptoms = symptoms or SymptomPolicy()
        self.pictures = pictures
        self.writer: GroupCommitWriter[Event] = GroupCommitWriter(db, self._apply, max_batch=max_batch)
        self.sweeper, self.decisions = sweeper, decisions
        # what an event asked of the trial: written with the event, done right after it (and by sweeps)
        self.requests = TrialRequests(db, clock, on_trial, engine.programme, staff_target) if on_trial else None

    async def handle(
        self,
        channel: str,
        chat_id: str,
        event_id: str,
        inbound: Inbound,
        language: str | None = None,
    ) -> bool:
        """Handle one inbound event; False when its event id was seen before (nothing was done)."""
        event = Event(channel, chat_id, event_id, inbound, language, self.clock.now())
        try:
            processed = await self.writer.submit(event)
        except IntegrityError:
            # Another process created this chat's participant at the same moment; ours rolled back
            # whole. Once more: now the participant exists (or the event id is known).
            processed = await self.writer.submit(event)
        if processed is None:
            return False
        participant_id, asked = processed
        if asked and self.requests is not None:  # written with the event: done now, or by the next sweep
            await self.requests.complete(participant_id)
        self.wake_sender()
        return True

    async def tick_due(self) -> int:
        """Let time pass for every participant whose ``next_due_at`` has come; returns how many.

        Trial requests a crashed process left pending are done first (by the one sweeper)."""
        result = await self.sweeper.sweep()
        if not result.skipped and self.after_sweep is not None:
            await self.after_sweep()  # the trial's draws now due become requests, done just below
        if not result.skipped and self.requests is not None:
            await self.requests.complete()
        if result.messages or result.quarantined:  # reminders to send, alerts for the relay to post
            self.wake_sender()
        return result.ticked

    def _scores(self, conn: Connection, who: Target, state: ParticipantState, effects: Effects, now: datetime) -> None:
        """The scores and any symptom-check note, inside this batch's transaction."""
        programme = self.engine.programme
        language = programme.language(state.language)
        record_scores(conn, programme, who.participant_id, state.code, language, effects, self.symptoms, now)

    def effect_rows(self) -> EffectRows:
        return EffectRows(version=self.engine.programme.version, next_due=self.engine.next_due)

    def _apply(self, conn: Connection, events: list[Event]) -> list[tuple[int, bool] | None]:
        """A batch of events in one transaction, with a handful of statements for the whole batch.

        One SELECT per channel loads every participant of the batch (row-locked on PostgreSQL), one
        multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` records the event ids (a redelivered
        id, also a second copy in the same batch, comes back absent and is a no-op), the engine
        decides each event in arrival order on the batch's own copy of each state (so two events of
        one participant see each other), and one statement per table writes everything.
        """
        sql = statements(conn.dialect.name)
        people = self.participants(conn, sql, events)
        recorded = conn.execute(
            sql.record_event,
            [{"channel": ev.channel, "event_id": ev.event_id, "processed_at": ev.now,
              "participant_id": people[(ev.channel, ev.chat_id)][1].participant_id} for ev in events],
        ).all()  # fmt: skip
        fresh = {(r.channel, r.event_id) for r in recorded}
        rows = self.effect_rows()
        results: list[tuple[int, bool] | None] = []
        for ev in events:
            if (ev.channel, ev.event_id) not in fresh:
                log.info("duplicate event %s:%s ignored", ev.channel, ev.event_id)
                results.append(None)
                continue
            fresh.discard((ev.channel, ev.event_id))  # a second copy in this batch is a duplicate
            results.append(self.decide_event(conn, rows, people, ev)[0])
        rows.flush(conn)
        return results

    def decide_event(
        self, conn: Connection, rows: EffectRows, people: dict[tuple[str, str], tuple[ParticipantState | None, Target]],
        ev: Event, due_later: bool = False,
    ) -> tuple[tuple[int, bool], Effects]:  # fmt: skip
        """One recorded event of a batch decided on the batch's copy of the state (changed in place),
        its rows gathered into ``rows``; returns (participant id, asked the trial) and the effects.

        ``due_later``: the participant's next due time is worked out when the rows are written
        (``AT_FLUSH``), for a chat's later events in one sitting; their first event works it out at
        once, so a state that cannot be scheduled (a time zone that does not exist) is theirs alone,
        quarantined here like any other unusable state."""
        state, target = people[(ev.channel, ev.chat_id)]
        try:
            effects = self._decide(conn, rows, ev, state, target, due_later)
        except SQLAlchemyError:  # the database, not the participant: the batch fails and is retried
            raise
        except Exception as exc:  # their state cannot be used: theirs alone, and their words still go on
            people[(ev.channel, ev.chat_id)] = None, target
            effects = self._held(conn, rows, ev, target, exc)
        log.debug("event %s for %s: %d answers, %d messages", ev.inbound.kind, target.code, len(effects.answers),
                  len(effects.outbound))  # fmt: skip
        if self.requests is not None:
            write_requests(conn, target.participant_id, effects.trial, ev.now)
        return (target.participant_id, bool(effects.trial)), effects

    def _decide(
        self,
        conn: Connection,
        rows: EffectRows,
        ev: Event,
        state: ParticipantState | None,
        target: Target,
        due_later: bool = False,
    ) -> Effects:
        """The engine's answer to one event, gathered into ``rows`` (raises when the state is unusable)."""
        if state is None:
            raise ValueError("the stored state could not be read")
        past = ()
        if self.engine.wants_history(ev.inbound):
            rows.flush(conn, states=False)  # answers of earlier events in this batch count too
            past = history(conn, target.participant_id)
        effects = self.engine.handle(state, ev.inbound, ev.now, past)
        if effects.scores:  # scores and symptom-check notes in the same transaction
            rows.flush(conn, states=False)
            self._scores(conn, target, state, effects, ev.now)
        self.pictures(effects, state.code)  # a chart travels as a file path in the outbox
        due = AT_FLUSH if due_later else self.engine.next_due(state, ev.now)
        rows.add(target, state, effects, now=ev.now, next_due=due, event_id=ev.event_id)
        return effects

    def _held(self, conn: Connection, rows: EffectRows, ev: Event, target: Target, error: Exception) -> Effects:
        """Quarantine the participant (one ERROR line, no traceback: their words are not logged), keep the
        broken state as it is for an admin, relay their words to staff as text, answer truthfully."""
        code = target.code or f"P-{target.participant_id:04d}"
        log.error("event %s:%s of %s could not be handled (%s); %s quarantined, the message relayed as text",
                  ev.channel, ev.event_id, code, type(error).__name__, code)  # fmt: skip
        p = PARTICIPANTS.c
        conn.execute(update(PARTICIPANTS).where(p.id == target.participant_id, p.quarantined_at.is_(None))
                     .values(quarantined_at=ev.now))  # fmt: skip
        effects = self.engine.held(code, ev.language or self.language, ev.inbound, ev.now)
        effects.audit.append(("quarantined", {"error": type(error).__name__, "event": ev.event_id}))
        rows.add_records(target.participant_id, effects, ev.now, ev.event_id)
        for out in effects.outbound:
            rows.message(target.participant_id, (target.channel, target.chat_id), out.to_payload(), ev.now,
                         out.dedup_key, PRIORITY_INTERACTIVE)  # fmt: skip
        return effects

    def participants(
        self, conn: Connection, sql: Statements, events: list[Event]
    ) -> dict[tuple[str, str], tuple[ParticipantState | None, Target]]:
        """Every participant of the batch, created on their first event (None: a state that cannot be read)."""
        people: dict[tuple[str, str], tuple[ParticipantState | None, Target]] = {}
        for channel in {ev.channel for ev in events}:
            people |= self.stored(conn, sql, channel, sorted({ev.chat_id for ev in events if ev.channel == channel}))
        for ev in events:
            if (ev.channel, ev.chat_id) not in people:
                people[(ev.channel, ev.chat_id)] = self._create(conn, sql, ev)
        return people

    def stored(
        self, conn: Connection, sql: Statements, channel: str, chats: list[str]
    ) -> dict[tuple[str, str], tuple[ParticipantState | None, Target]]:
        """The participants of ``chats`` who exist (row-locked on PostgreSQL); None: a state that cannot be read."""
        people: dict[tuple[str, str], tuple[ParticipantState | None, Target]] = {}
        for row in conn.execute(sql.participants_by_chats, {"channel": channel, "chat_ids": chats}):
            target = Target(row.id, row.code, channel, row.chat_id)
            try:
                people[(channel, row.chat_id)] = state_from_row(row), target
            except Exception:  # handled as the event's failure: quarantined, words relayed
                people[(channel, row.chat_id)] = None, target
        return people

    def _create(self, conn: Connection, sql: Statements, ev: Event) -> tuple[ParticipantState, Target]:
        lang = self.engine.programme.language(ev.language or self.language)
        pid = conn.execute(
            sql.create_participant,
            {"channel": ev.channel, "chat_id": ev.chat_id, "language": lang, "timezone": self.timezone,
             "status": "new", "paused": False, "unreachable": False, "position": {}, "created_at": ev.now,
             "updated_at": ev.now},
        ).scalar_one()  # fmt: skip
        code = f"P-{pid:04d}"
        state = ParticipantState(code=code, language=lang, timezone=self.timezone)
        return state, Target(pid, code, ev.channel, ev.chat_id)

    async def nudge(self, participant_id: int, decide: Decide) -> None:
        await self.decisions.nudge(participant_id, decide)

    async def decide_in(self, session: AsyncSession, participant_id: int, decide: Decide) -> None:
        await self.decisions.decide_in(session, participant_id, decide)
