"""One chunk of a sweep's ticks: rows as read in, the rows to write out. No database, no clock.

This is the part of a sweep that costs CPU (decode a position, tick, find the next due time,
encode), and it is a pure function of its arguments, so it runs as well in a worker process
(``scheduler/sweep_pool.py``) as in the sweeping process itself. It is handed the participant rows exactly
as they were read (the position still JSON text) and returns, for each participant, the rows their
tick will write, with the JSON columns already encoded (``bulk.Encoded``) so that the process that
writes them does no per-participant work but the SQL.

A participant whose tick raises is not in the result's rows but in ``failed``, with the error's name
and traceback as text: the writing process logs it at ERROR and quarantines them.
"""

from __future__ import annotations

import gc
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy.engine import Dialect

from bot.charts.files import Pictures as Pictures
from bot.engine import Engine
from bot.engine.model import Effects, Outbound, ParticipantState
from bot.storage import bulk
from bot.storage.bulk import Encoded, RawStatement, encode
from bot.storage.models import PRIORITY_BULK
from bot.storage.rows import (
    OUTBOX,
    OUTBOX_KEYS,
    PARTICIPANTS,
    SWEEP_STATE,
    SWEEP_STATE_KEYS,
    EffectRows,
    outbox_values,
    state_row,
    statements,
    sweep_state_values,
)

# The columns a sweep reads (``bot/storage/rows.py``, ``due_raw``), in this order, as the driver
# returns them: compared as they are (has the row changed since it was read?), converted here.
RawRow = tuple[Any, ...]
ID, CODE, CHANNEL, CHAT_ID, LANGUAGE, TIMEZONE, STATUS, PAUSED, START_DATE, POSITION, NEXT_DUE, QUARANTINED = range(12)


@dataclass
class Failure:
    participant_id: int
    code: str
    error: str  # the exception's type name: what the staff alert and the audit row say
    trace: str  # the traceback as text, for the ERROR log line (as an in-process tick's exc_info was)


class Ticked(NamedTuple):
    """What one participant's tick writes, as the driver takes it: the participant's row and the
    outbox rows (``Writes.state``, ``Writes.outbox``), and anything rarer as plain ``EffectRows``.
    A tuple: a worker sends one per participant back, and tuples pickle fastest."""

    participant_id: int
    state: Any
    outbox: list[Any]
    extra: EffectRows | None


@dataclass
class TickedChunk:
    ticked: list[Ticked] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class Writes:
    """The two bulk statements, compiled for the database's dialect (``bot/storage/bulk.py``), and
    their rows' makers (from ``sweep_state_values`` and ``outbox_values``)."""

    state: RawStatement
    outbox: RawStatement
    state_params: Callable[..., Any]
    outbox_params: Callable[..., Any]

    @staticmethod
    def for_dialect(dialect: Dialect) -> Writes:
        """SQLite runs each statement for many rows cheaply (``executemany``); PostgreSQL would run it
        once per row, so there a chunk is one statement over arrays (``bulk.prepare_unnest``)."""
        if bulk.unnest_fits(dialect):
            state = bulk.prepare_unnest(PARTICIPANTS, SWEEP_STATE_KEYS, dialect, match=("pid", "id"))
            outbox = bulk.prepare_unnest(OUTBOX, OUTBOX_KEYS, dialect)
        else:
            state = bulk.prepare(SWEEP_STATE, SWEEP_STATE_KEYS, dialect)
            outbox = bulk.prepare(statements(dialect.name).outbox, OUTBOX_KEYS, dialect)
        return Writes(state, outbox, state.maker(SWEEP_STATE_KEYS), outbox.maker(OUTBOX_KEYS))


def code_of(row: RawRow) -> str:
    return row[CODE] or f"P-{row[ID]:04d}"


def state_of(row: RawRow) -> ParticipantState:
    """The row as the driver gave it (SQLite: a date as text, a flag as 0 or 1)."""
    start = row[START_DATE]
    return ParticipantState.loaded(
        orjson.loads(row[POSITION]) if row[POSITION] else None,
        code=code_of(row), language=row[LANGUAGE], timezone=row[TIMEZONE], status=row[STATUS],
        paused=bool(row[PAUSED]), start_date=date.fromisoformat(start) if isinstance(start, str) else start,
    )  # fmt: skip


def tick_rows(engine: Engine, rows: Sequence[RawRow], now: datetime, pictures: Pictures, writes: Writes) -> TickedChunk:
    """Tick every row at ``now``; each participant's rows on their own, so any of them can be dropped."""
    result = TickedChunk()
    version = engine.programme.version
    with cycle_collection_paused():
        for row in rows:
            try:
                state = state_of(row)
                effects = engine.tick(state, now)
                next_due = engine.next_due(state, now)
                pictures(effects, state.code)
                result.ticked.append(_ticked(row, state, effects, next_due, now, writes, version))
            except Exception as exc:
                result.failed.append(Failure(row[ID], code_of(row), type(exc).__name__, traceback.format_exc()))
    return result


def _ticked(
    row: RawRow, state: ParticipantState, effects: Effects, next_due: datetime | None, now: datetime, writes: Writes,
    version: str,
) -> Ticked:  # fmt: skip
    """The bulk rows made ready here, as the driver takes them: a tuple crosses a process boundary
    cheaply, a dict not; and the JSON is encoded where the CPU is to spare."""
    pid, to = row[ID], (row[CHANNEL], row[CHAT_ID])
    outbox = [writes.outbox_params(*outbox_values(pid, to, _payload(out), now, out.dedup_key, PRIORITY_BULK))
              for out in effects.outbound]  # fmt: skip
    extra = None
    if effects.answers or effects.consents or effects.relays or effects.audit:
        extra = EffectRows(version=version)
        extra.add_records(pid, effects, now, event_id=None)
    update = None
    if (row[CODE], row[LANGUAGE], row[TIMEZONE]) == (state.code if row[CODE] else None, state.language,
                                                      state.timezone):  # fmt: skip
        position = encode(state.position_json(copies=False))  # encoded at once: no copies
        update = writes.state_params(*sweep_state_values(pid, state, position, next_due, now))
    else:  # a tick that changed what ``SWEEP_STATE`` leaves out: the whole row, the usual way
        extra = extra or EffectRows(version=version)
        extra.states.append(state_row(pid, state, next_due, now))
    return Ticked(pid, update, outbox, extra)


# A sweep sends the same offer to everyone at the same place in the programme (the engine shares
# its text and buttons: ``dailies.offer``), so its JSON is made once. An entry keeps the objects it
# was made from and is used only for those very objects.
_PAYLOADS: dict[tuple[int, int, str | None], tuple[str, tuple[Any, ...], Encoded]] = {}


def _payload(out: Outbound) -> Encoded:
    key = (id(out.text), id(out.buttons), out.image)
    entry = _PAYLOADS.get(key)
    if entry is None or entry[0] is not out.text or entry[1] is not out.buttons:
        if len(_PAYLOADS) >= 1024:
            _PAYLOADS.clear()
        entry = _PAYLOADS[key] = (out.text, out.buttons, encode(out.to_payload()))
    return entry[2]


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """A sweep allocates many short-lived objects that reference counting frees; the cyclic collector,
    run every few hundred allocations, only re-scans them and the whole heap (a fifth to a third of a
    sweep's time). Paused meanwhile; anything cyclic left is collected as usual afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
