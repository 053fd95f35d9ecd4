"""Sync Core statements for the hot paths: one event, one sweep chunk.

The ORM's unit of work costs a flush and, over aiosqlite, a thread hop per statement. Here every
statement is plain Core on a sync ``Connection`` (the writer runs the whole event in one worker
thread or one ``run_sync`` hop), and everything an event or a chunk of ticks caused is written with
one multi-row INSERT per table. Outbox rows are ``INSERT … ON CONFLICT DO NOTHING`` (``bulk.insert_ignore``),
so a proactive message whose idempotency key already exists is a no-op, never an exception.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Select, Table, Text, Update, bindparam, cast, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import ReturningInsert

from bot.engine.model import Effects, ParticipantState, RelayRecord, StoredAnswer
from bot.storage import bulk
from bot.storage.audit import audit_row
from bot.storage.models import (
    PRIORITY_BULK,
    PRIORITY_INTERACTIVE,
    Answer,
    AuditEntry,
    Consent,
    OutboxMessage,
    Participant,
    ProcessedEvent,
    RelayItem,
)

# Outbox rows are built in bot/storage/outbox.py; the sweep takes its names from here.
from bot.storage.outbox import OUTBOX_KEYS as OUTBOX_KEYS
from bot.storage.outbox import outbox_row
from bot.storage.outbox import outbox_values as outbox_values

PARTICIPANTS: Table = Participant.__table__  # type: ignore[assignment]
ANSWERS: Table = Answer.__table__  # type: ignore[assignment]
CONSENTS: Table = Consent.__table__  # type: ignore[assignment]
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
RELAYS: Table = RelayItem.__table__  # type: ignore[assignment]
AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]

STATE_COLUMNS = (
    PARTICIPANTS.c.id,
    PARTICIPANTS.c.code,
    PARTICIPANTS.c.channel,
    PARTICIPANTS.c.chat_id,
    PARTICIPANTS.c.language,
    PARTICIPANTS.c.timezone,
    PARTICIPANTS.c.status,
    PARTICIPANTS.c.paused,
    PARTICIPANTS.c.start_date,
    PARTICIPANTS.c.position,
    PARTICIPANTS.c.next_due_at,
)


def _update_state(*columns: str) -> Update:
    """An executemany UPDATE of ``columns`` of each participant (``pid``), by the keys' own names."""
    return update(PARTICIPANTS).where(PARTICIPANTS.c.id == bindparam("pid")).values({c: bindparam(c) for c in columns})


# Every participant an event changed, one statement for the batch.
UPDATE_STATE = _update_state("code", "status", "paused", "start_date", "language", "timezone", "position",
                             "next_due_at", "updated_at")  # fmt: skip
# What a sweep's tick writes: a tick never changes a participant's code, language or time zone, and
# leaving them out spares the database rewriting the code's unique index for every row.
SWEEP_STATE_KEYS = ("pid", "status", "paused", "start_date", "position", "next_due_at", "updated_at")
SWEEP_STATE = _update_state(*SWEEP_STATE_KEYS[1:])


@dataclass(frozen=True)
class Statements:
    """Every hot-path statement built once per dialect, parameters bound at execution.

    Building a statement and computing its cache key per event cost more than running it; a
    statement object memoizes its key, so reusing the objects leaves only execution.
    """

    participants_by_chats: Select[Any]
    due_raw: Select[Any]  # due participants after an id, unlocked, position as JSON text
    recheck_raw: Select[Any]  # the same columns for an id range, locked on PostgreSQL
    history: Select[Any]
    create_participant: ReturningInsert[Any]
    record_event: ReturningInsert[Any]
    outbox: Insert
    inserts: dict[str, Insert]


def statements(dialect: str) -> Statements:
    """The hot path's statements for ``dialect``, as the fast path's choice (``bulk.fast_path``) has them."""
    return _statements(dialect, bulk.fast_path())


@functools.cache
def _statements(dialect: str, fast: bool) -> Statements:
    postgres = dialect == "postgresql"
    p, a = PARTICIPANTS.c, ANSWERS.c
    by_chats = (
        select(*STATE_COLUMNS)
        .where(p.channel == bindparam("channel"), p.chat_id.in_(bindparam("chat_ids", expanding=True)))
        .order_by(p.id)  # rows are locked in id order, as the sweep locks them: no lock-order deadlock
    )
    # A sweep reads without locks and ticks outside the write transaction (scheduler/sweep.py), so its
    # columns are the whole fingerprint of what a tick depends on, the position as stored text.
    raw = (*STATE_COLUMNS[:9], cast(p.position, Text).label("position"), p.next_due_at, p.quarantined_at)
    due = (
        select(*raw)
        .where(p.id > bindparam("after"), p.next_due_at <= bindparam("now"), p.quarantined_at.is_(None))
        .order_by(p.id)
        .limit(bindparam("chunk"))
    )
    # By id range (the chunk's first and last), so the statement is the same for every chunk.
    recheck = select(*raw).where(p.id >= bindparam("first"), p.id <= bindparam("last")).order_by(p.id)
    if postgres:  # row locks order us against the other writers; SQLite is one writer already
        by_chats, recheck = by_chats.with_for_update(), recheck.with_for_update()
    events: Table = ProcessedEvent.__table__  # type: ignore[assignment]
    return Statements(
        participants_by_chats=by_chats,
        due_raw=due,
        recheck_raw=recheck,
        history=select(a.module_id, a.step_id, a.field_id, a.entry_id, a.value, a.answered_at)
        .where(a.participant_id == bindparam("pid"))
        .order_by(a.id),
        create_participant=PARTICIPANTS.insert().returning(p.id),
        record_event=bulk.insert_ignore(dialect, events).returning(events.c.channel, events.c.event_id),
        outbox=bulk.insert_ignore(dialect, OUTBOX),
        inserts={t.name: t.insert() for t in (ANSWERS, CONSENTS, RELAYS, AUDIT)},
    )


def state_from_row(row: Any, copy_position: bool = False) -> ParticipantState:
    """The engine's view of a stored participant (a Core row, or an ORM ``Participant``).

    ``copy_position`` for an ORM row: sharing nested dicts with its loaded JSON would change its
    "committed" value in place, and SQLAlchemy would then skip the UPDATE of a change made only there.
    """
    position = copy.deepcopy(row.position) if copy_position else row.position
    return ParticipantState.loaded(
        position, code=row.code or f"P-{row.id:04d}", language=row.language, timezone=row.timezone,
        status=row.status, paused=row.paused, start_date=row.start_date,
    )  # fmt: skip


def state_of_row(row: dict[str, Any]) -> ParticipantState:
    """The state a ``state_row`` holds, read back (its position shared, so only to be read)."""
    return ParticipantState.loaded(
        row["position"], code=row["code"], language=row["language"], timezone=row["timezone"],
        status=row["status"], paused=row["paused"], start_date=row["start_date"],
    )  # fmt: skip


def state_row(pid: int, state: ParticipantState, next_due: datetime | None, now: datetime) -> dict[str, Any]:
    """The participant's row as ``UPDATE_STATE`` writes it (``SWEEP_STATE`` takes some of its keys)."""
    return {"pid": pid, "code": state.code, "status": state.status, "paused": state.paused,
            "start_date": state.start_date, "language": state.language, "timezone": state.timezone,
            "position": state.position_json(), "next_due_at": next_due, "updated_at": now}  # fmt: skip


def sweep_state_values(
    pid: int, state: ParticipantState, position: Any, next_due: datetime | None, now: datetime
) -> tuple[Any, ...]:
    """What ``SWEEP_STATE`` writes, in the order of ``SWEEP_STATE_KEYS`` (a sweep's rows are made
    without a dict: ``RawStatement.maker``)."""
    return pid, state.status, state.paused, state.start_date, position, next_due, now


def record_event(conn: Connection, row: dict[str, Any]) -> bool:
    """Record one event id in ``processed_events``; False: it was recorded before (a redelivery),
    and nothing is to be done. A sitting records its events one by one (``bot/conversation/batch.py``),
    70,000 in a simulated trial: on the fast path the statement is compiled once and run as it is."""
    sql = statements(conn.dialect.name)
    if not bulk.fast_path():
        return bool(conn.execute(sql.record_event, [row]).all())
    return bool(bulk.prepare(sql.record_event, tuple(row), conn.dialect).query(conn, row))


def history(conn: Connection, participant_id: int) -> list[StoredAnswer]:
    rows = conn.execute(statements(conn.dialect.name).history, {"pid": participant_id})
    return [StoredAnswer(*r) for r in rows]


@dataclass
class Target:
    """Where a participant's messages go, and what the rows are stamped with."""

    participant_id: int
    code: str | None
    channel: str
    chat_id: str


# A participant's next due time from their state at a moment (``Engine.next_due``).
NextDue = Callable[[ParticipantState, datetime], datetime | None]


class AtFlush:
    """``EffectRows.add(next_due=AT_FLUSH)``: worked out when the rows are written, see ``EffectRows``."""


AT_FLUSH = AtFlush()


@dataclass
class EffectRows:
    """What one event or one sweep chunk will write, gathered as plain dicts; ``flush`` writes them.

    The one writer of what the engine decided (an event's batch, a sweep's chunk, a decision outside
    an event: ``bot/conversation/decisions.py``), one statement per table: relay records are only
    ``relay_items`` rows (the relay service posts each to the staff group in its own transaction),
    audit rows carry the engine's entries (the safety gate's among them), and outbox rows get
    ``priority`` interactive when written for an inbound event (``event_id`` given) and bulk
    otherwise (sweeps, ticks). Everything is stamped with the time the engine decided at, not a
    later clock read.

    A state added with ``next_due=AT_FLUSH`` has its next due time worked out by ``next_due`` when
    the rows are written, once per participant and from the state row that is written: a chat's
    sitting of forty answers in one transaction asks the engine once, not forty times, and the time
    always belongs to the state stored beside it (a later event that fails leaves both as they were).
    """

    version: str
    next_due: NextDue | None = None
    states: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    relays: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    due_at_flush: set[int] = field(default_factory=set)  # participants whose next due time is still to work out

    def add(
        self,
        who: Target,
        state: ParticipantState,
        effects: Effects,
        *,
        now: datetime,
        next_due: datetime | AtFlush | None,
        event_id: str | None,
    ) -> None:
        pid = who.participant_id
        if isinstance(next_due, AtFlush):
            assert self.next_due is not None, "AT_FLUSH needs the rows' next_due"
            self.due_at_flush.add(pid)
            self.states.append(state_row(pid, state, None, now))
        else:
            self.due_at_flush.discard(pid)
            self.states.append(state_row(pid, state, next_due, now))
        self.add_records(pid, effects, now, event_id)
        priority = PRIORITY_INTERACTIVE if event_id is not None else PRIORITY_BULK
        for out in effects.outbound:
            self.message(pid, (who.channel, who.chat_id), out.to_payload(), now, out.dedup_key, priority)

    def add_records(self, pid: int, effects: Effects, now: datetime, event_id: str | None) -> None:
        """Everything of ``effects`` but the state and the messages: answers, consents, relay items, audit."""
        for a in effects.answers:
            self.answers.append(
                {"participant_id": pid, "module_id": a.module, "step_id": a.step, "field_id": a.field,
                 "entry_id": a.entry, "value": a.value, "content_version": self.version, "answered_at": now,
                 "event_id": event_id}
            )  # fmt: skip
        for c in effects.consents:
            self.consents.append(
                {"participant_id": pid, "version": c.version, "agreed": c.agreed,
                 "content_version": self.version, "at": now}
            )  # fmt: skip
        for r in effects.relays:
            self.relay(pid, r, now)
        for action, detail in effects.audit:
            self.audit.append(audit_row(at=now, participant_id=pid, actor="engine", action=action, detail=detail))

    def relay(self, pid: int, record: RelayRecord, now: datetime) -> None:
        """A ``relay_items`` row; the relay service posts it (stage ``new`` until then)."""
        self.relays.append(
            {"participant_id": pid, "source": record.source, "text": record.text, "status": "open",
             "created_at": now, "kind": record.kind, "data": dict(record.data), "stage": "new", "nudges": 0}
        )  # fmt: skip

    def message(
        self,
        pid: int | None,
        to: tuple[str, str],
        payload: dict[str, Any],
        now: datetime,
        key: str | None,
        priority: int = PRIORITY_BULK,
    ) -> None:
        self.outbox.append(outbox_row(pid, to, payload, now, key, priority))

    def extend(self, other: EffectRows) -> None:
        """Take on another batch's rows (a sweep gathers each participant's tick apart, then writes them)."""
        for mine, theirs in ((self.states, other.states), (self.answers, other.answers),
                             (self.consents, other.consents), (self.relays, other.relays),
                             (self.outbox, other.outbox), (self.audit, other.audit)):  # fmt: skip
            mine.extend(theirs)
        self.due_at_flush -= {s["pid"] for s in other.states}
        self.due_at_flush |= other.due_at_flush
        self.next_due = self.next_due or other.next_due

    def flush(self, conn: Connection, states: bool = True) -> int:
        """Write everything gathered (one statement per non-empty table); returns outbox rows offered.

        ``states=False`` writes all but the participants' rows, which stay gathered: in the middle of
        a batch, for a query that reads the answers so far (history, earlier scores) and never the
        participant's row, which the batch's end writes once."""
        sql = statements(conn.dialect.name)
        if self.states and states:  # one row per participant: the last state an event or tick left
            latest = {s["pid"]: s for s in self.states}
            for pid in self.due_at_flush:
                row = latest[pid]
                row["next_due_at"] = self.next_due(state_of_row(row), row["updated_at"])  # type: ignore[misc]
            bulk.executemany(conn, UPDATE_STATE, list(latest.values()))
        for table, rows in ((ANSWERS, self.answers), (CONSENTS, self.consents), (RELAYS, self.relays),
                            (AUDIT, self.audit)):  # fmt: skip
            if rows:
                bulk.executemany(conn, sql.inserts[table.name], rows)
        offered = len(self.outbox)
        if self.outbox:
            bulk.executemany(conn, sql.outbox, self.outbox)
        self.clear(states)
        return offered

    def clear(self, states: bool = True) -> None:
        for rows in (self.answers, self.consents, self.relays, self.outbox, self.audit):
            rows.clear()
        if states:
            self.states.clear()
            self.due_at_flush.clear()
