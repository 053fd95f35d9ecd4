"""Sweeps that scale: every due participant, in chunks, set-based, one poisoned row isolated.

A sweep walks the due participants in id order, ``chunk`` at a time: one SELECT loads a chunk's
states, the engine ticks each, and one executemany UPDATE plus one multi-row INSERT per table writes
the chunk, committed as one transaction. There is no cap per run: 100,000 participants due at 20:00
are all reached by the same sweep.

A participant whose tick raises (say, a step an admin renamed) is isolated: logged at ERROR with the
participant code, quarantined (``participants.quarantined_at``; later sweeps skip them until an admin
runs ``icbt participants unquarantine P-x``) and an alert is raised for staff through the relay (a
``RelayRecord`` of kind "alert", written as a ``relay_items`` row that the relay service posts to the
participant's topic in the staff group). Everyone else goes on.

On PostgreSQL only the process holding the sweep lock (``bot/storage/sweeplock.py``) sweeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Connection

from bot.clock import Clock
from bot.engine import Engine
from bot.engine.model import Effects, RelayRecord
from bot.storage.database import Database
from bot.storage.rows import PARTICIPANTS, EffectRows, Target, state_from_row, statements

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    ticked: int = 0
    messages: int = 0
    quarantined: int = 0
    skipped: bool = False  # another process holds the sweep lock


@dataclass
class Chunk:
    last_id: int | None
    ticked: int
    messages: int
    quarantined: list[str]


class Sweeper:
    def __init__(
        self,
        db: Database,
        engine: Engine,
        clock: Clock,
        rows: Callable[[], EffectRows],
        chunk: int = 1000,
        pictures: Callable[[Effects, str], None] = lambda effects, code: None,
    ) -> None:
        self.db, self.engine, self.clock, self.rows, self.chunk = db, engine, clock, rows, chunk
        self.pictures = pictures  # a module unlock's chart is written to a file before its row

    async def sweep(self) -> SweepResult:
        """Every due participant."""
        result = SweepResult()
        if not await self.db.sweep_lock.acquire():
            result.skipped = True
            return result
        now = self.clock.now()
        after = 0
        while True:
            try:
                done = await self.db.run_write(lambda conn, after=after: self._chunk(conn, now, after, self.chunk))
            except Exception as exc:  # a write failed: find whose, one participant at a time
                log.warning("sweep chunk after id %d failed (%s); retrying one by one", after, type(exc).__name__)
                done = await self._one_by_one(now, after)
            if done.last_id is None:
                break
            after = done.last_id
            result.ticked += done.ticked
            result.messages += done.messages
            result.quarantined += len(done.quarantined)
        if result.ticked:
            log.info("sweep: %d participants ticked, %d messages, %d quarantined", result.ticked,
                     result.messages, result.quarantined)  # fmt: skip
        return result

    async def _one_by_one(self, now: datetime, after: int) -> Chunk:
        """The failed chunk again, one transaction per participant; whoever still fails is quarantined."""
        total = Chunk(None, 0, 0, [])
        for _ in range(self.chunk):
            try:
                done = await self.db.run_write(lambda conn, after=after: self._chunk(conn, now, after, 1))
            except Exception as exc:
                done = await self.db.run_write(
                    lambda conn, after=after, exc=exc: self._poison_next(conn, now, after, exc)
                )
            if done.last_id is None:
                break
            after = total.last_id = done.last_id
            total.ticked += done.ticked
            total.messages += done.messages
            total.quarantined += done.quarantined
        return total

    def _poison_next(self, conn: Connection, now: datetime, after: int, exc: BaseException) -> Chunk:
        due = conn.execute(statements(conn.dialect.name).due_chunk, {"after": after, "now": now, "chunk": 1}).first()
        if due is None:
            return Chunk(None, 0, 0, [])
        code = due.code or f"P-{due.id:04d}"
        log.error("writing the tick of %s failed (%s); quarantined", code, type(exc).__name__, exc_info=exc)
        self._quarantine(conn, self.rows(), [(due.id, code, exc)], now)
        return Chunk(due.id, 0, 0, [code])

    def _chunk(self, conn: Connection, now: datetime, after: int, size: int) -> Chunk:
        query = statements(conn.dialect.name).due_chunk
        due = conn.execute(query, {"after": after, "now": now, "chunk": size}).all()
        if not due:
            return Chunk(None, 0, 0, [])
        rows = self.rows()
        poisoned: list[tuple[int, str, BaseException]] = []
        ticked = 0
        for row in due:
            try:
                state = state_from_row(row)
                effects = self.engine.tick(state, now)
                next_due = self.engine.next_due(state, now)
                self.pictures(effects, state.code)
            except Exception as exc:
                code = row.code or f"P-{row.id:04d}"
                log.error("tick failed for %s (%s); quarantined", code, type(exc).__name__, exc_info=exc)
                poisoned.append((row.id, code, exc))
                continue
            rows.add(Target(row.id, row.code, row.channel, row.chat_id), state, effects, now=now,
                     next_due=next_due, event_id=None)  # fmt: skip
            ticked += 1
        messages = rows.flush(conn)
        if poisoned:
            self._quarantine(conn, rows, poisoned, now)
        return Chunk(due[-1].id, ticked, messages, [code for _, code, _ in poisoned])

    def _quarantine(
        self, conn: Connection, rows: EffectRows, poisoned: list[tuple[int, str, BaseException]], now: datetime
    ) -> None:
        """Mark them, and raise one staff alert each through the relay (a ``RelayRecord`` of kind alert)."""
        p = PARTICIPANTS.c
        conn.execute(update(PARTICIPANTS).where(p.id.in_([pid for pid, *_ in poisoned])).values(quarantined_at=now))
        programme = self.engine.programme
        for pid, code, exc in poisoned:
            text = programme.msg(programme.language(None), "inbound.quarantined", code=code, error=type(exc).__name__)
            rows.relay(pid, RelayRecord(source="system:sweep", text=text, kind="alert",
                                        data={"error": type(exc).__name__}), now)  # fmt: skip
            rows.audit.append({"at": now, "participant_id": pid, "actor": "sweep", "action": "quarantined",
                               "detail": {"error": type(exc).__name__}})  # fmt: skip
        rows.flush(conn)
