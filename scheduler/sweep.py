"""Sweeps that scale: every due participant, in chunks, set-based, one poisoned row isolated.

A sweep walks the due participants in id order, ``chunk`` at a time, as a pipeline:

1. **read** a chunk's rows (no lock, the position as stored JSON text);
2. **tick** them: the engine, the next due time, the rows to write, encoded
   (``scheduler/sweep_ticks.py``), in worker processes (``scheduler/sweep_pool.py``) or in this process;
3. **write** the chunk in one transaction: read the same rows again (locked on PostgreSQL; SQLite
   has one writer already) and keep the ticks of the participants whose row is unchanged; whoever
   changed in between (an answer arrived) is ticked again right there, on the row as it is now.
   Then one executemany UPDATE and one INSERT per table.

While a chunk is written, the next ones are read and ticked, so the cores tick while the database
writes. There is no cap per run: 100,000 participants due at 20:00 are all reached by one sweep.

A participant whose tick raises (say, a step an admin renamed) is isolated: logged at ERROR with the
participant code, quarantined (``participants.quarantined_at``; later sweeps skip them until an admin
runs ``icbt participants unquarantine P-x``) and an alert is raised for staff through the relay (a
``RelayRecord`` of kind "alert", written as a ``relay_items`` row that the relay service posts to the
participant's topic in the staff group). A chunk whose write fails is written again one participant
at a time, and whoever still fails is quarantined the same way. Everyone else goes on.

On PostgreSQL only the process holding the sweep lock (``bot/storage/sweeplock.py``) sweeps.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from bot.clock import Clock
from bot.engine import Engine
from bot.engine.model import Effects, RelayRecord
from bot.storage import bulk
from bot.storage.audit import audit_row
from bot.storage.database import Database
from bot.storage.rows import PARTICIPANTS, EffectRows, statements
from scheduler.sweep_pool import TickPool
from scheduler.sweep_ticks import (
    ID,
    NEXT_DUE,
    QUARANTINED,
    Failure,
    RawRow,
    Ticked,
    TickedChunk,
    Writes,
    code_of,
    cycle_collection_paused,
    tick_rows,
)

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    ticked: int = 0
    messages: int = 0
    quarantined: int = 0
    skipped: bool = False  # another process holds the sweep lock

    def add(self, other: SweepResult) -> None:
        self.ticked += other.ticked
        self.messages += other.messages
        self.quarantined += other.quarantined


@dataclass
class _InFlight:
    rows: list[RawRow]
    ticks: Awaitable[TickedChunk]


class Sweeper:
    def __init__(
        self,
        db: Database,
        engine: Engine,
        clock: Clock,
        rows: Callable[[], EffectRows],
        chunk: int = 500,
        pictures: Callable[[Effects, str], None] = lambda effects, code: None,
        workers: int = 0,
    ) -> None:
        self.db, self.engine, self.clock, self.rows, self.chunk = db, engine, clock, rows, chunk
        self.pictures = pictures  # a module unlock's chart is written to a file before its row
        dialect = db.engine.dialect
        self.writes = Writes.for_dialect(dialect)
        sql = statements(dialect.name)
        self._due = bulk.prepare(sql.due_raw, ("after", "now", "chunk"), dialect)
        self._recheck = bulk.prepare(sql.recheck_raw, ("first", "last"), dialect)
        self.pool = TickPool(engine, pictures, self.writes, workers)

    async def sweep(self) -> SweepResult:
        """Every due participant."""
        result = SweepResult()
        if not await self.db.sweep_lock.acquire():
            result.skipped = True
            return result
        with cycle_collection_paused():
            result = await self._sweep(self.clock.now())
        if result.ticked or result.quarantined:
            log.info("sweep: %d participants ticked, %d messages, %d quarantined", result.ticked,
                     result.messages, result.quarantined)  # fmt: skip
        return result

    async def _sweep(self, now: datetime) -> SweepResult:
        result = SweepResult()
        in_flight: deque[_InFlight] = deque()
        depth = max(2, 2 * self.pool.workers)  # chunks read and ticking while one is written
        after = 0
        while True:
            rows = await self._read(now, after)
            if rows:
                after = rows[-1][ID]
                in_flight.append(_InFlight(rows, self._tick(rows, now, pooled=len(rows) == self.chunk)))
            while in_flight and (not rows or len(in_flight) >= depth):
                result.add(await self._write(now, in_flight.popleft()))
            if not rows:
                break
        return result

    def close(self) -> None:
        self.pool.close()

    async def _read(self, now: datetime, after: int) -> list[RawRow]:
        """Unlocked; in the writer's thread, where the database work of a sweep is done, one piece at a time."""
        return await self.db.run_write(lambda conn: self._due.query(conn, {"after": after, "now": now,
                                                                           "chunk": self.chunk}))  # fmt: skip

    def _tick(self, rows: list[RawRow], now: datetime, pooled: bool) -> Awaitable[TickedChunk]:
        """In the workers when the sweep is big enough to be worth it (a full chunk), else right here."""
        if pooled and self.pool.enabled:
            try:
                return asyncio.wrap_future(self.pool.submit(rows, now))
            except BrokenProcessPool:
                self.pool.restart()
        # A thread, not the event loop: inbound events are still read and answered meanwhile.
        return asyncio.ensure_future(asyncio.to_thread(tick_rows, self.engine, rows, now, self.pictures, self.writes))

    async def _write(self, now: datetime, chunk: _InFlight) -> SweepResult:
        try:
            ticked = await chunk.ticks
        except BrokenProcessPool:  # a worker died (killed, out of memory): tick this chunk here
            log.warning("a sweep worker died; ticking %d participants in the sweeping process", len(chunk.rows))
            await asyncio.to_thread(self.pool.restart)  # it asks the pool whether it still works: may wait
            ticked = await asyncio.to_thread(tick_rows, self.engine, chunk.rows, now, self.pictures, self.writes)
        try:
            return await self.db.run_write(lambda conn: self._write_chunk(conn, now, chunk.rows, ticked))
        except Exception as exc:  # a write failed: find whose, one participant at a time
            log.warning("writing a sweep chunk of %d failed (%s); writing one by one", len(chunk.rows),
                        type(exc).__name__)  # fmt: skip
            return await self._one_by_one(now, chunk.rows, ticked)

    def _write_chunk(self, conn: Connection, now: datetime, read: Sequence[RawRow], ticked: TickedChunk) -> SweepResult:
        kept, failed = self._still_valid(conn, now, read, ticked)
        self.writes.state.run(conn, [t.state for t in kept if t.state is not None])
        outbox = [message for t in kept for message in t.outbox]
        self.writes.outbox.run(conn, outbox)
        rest = self.rows()
        for t in kept:
            if t.extra is not None:
                rest.extend(t.extra)
        rest.flush(conn)
        result = SweepResult(ticked=len(kept), messages=len(outbox))
        if failed:
            for failure in failed:
                log.error("tick failed for %s (%s); quarantined\n%s", failure.code, failure.error, failure.trace)
            self._quarantine(conn, failed, now)
            result.quarantined = len(failed)
        return result

    def _still_valid(
        self, conn: Connection, now: datetime, read: Sequence[RawRow], ticked: TickedChunk
    ) -> tuple[list[Ticked], list[Failure]]:
        """The ticks of rows unchanged since they were read; the others ticked again, as they are now
        (an answer or an admin changed them meanwhile), or left alone when no longer due."""
        current = {row[ID]: row for row in self._recheck.query(conn, {"first": read[0][ID], "last": read[-1][ID]})}
        unchanged = {row[ID] for row in read if current.get(row[ID]) == row}
        kept = [t for t in ticked.ticked if t.participant_id in unchanged]
        failed = [f for f in ticked.failed if f.participant_id in unchanged]
        params = self._due.params({"after": 0, "now": now, "chunk": 0})
        stored_now = params[self._due.names.index("now")]  # type: ignore[index]
        changed = [current[row[ID]] for row in read if row[ID] not in unchanged and row[ID] in current]
        again = [row for row in changed if _still_due(row, stored_now)]
        if again:
            log.info("sweep: %d participants changed while ticking; ticked again", len(again))
            redone = tick_rows(self.engine, again, now, self.pictures, self.writes)
            kept, failed = kept + redone.ticked, failed + redone.failed
        return kept, failed

    async def _one_by_one(self, now: datetime, read: Sequence[RawRow], ticked: TickedChunk) -> SweepResult:
        """The failed chunk again, one transaction per participant; whoever still fails is quarantined."""
        total = SweepResult()
        by_id = {t.participant_id: t for t in ticked.ticked}
        failed = {f.participant_id: f for f in ticked.failed}
        for row in read:
            pid = row[ID]
            alone = TickedChunk([by_id[pid]] if pid in by_id else [], [failed[pid]] if pid in failed else [])
            write = functools.partial(self._write_chunk, now=now, read=[row], ticked=alone)
            try:
                total.add(await self.db.run_write(write))
            except Exception as exc:
                log.error("writing the tick of %s failed (%s); quarantined", code_of(row), type(exc).__name__,
                          exc_info=exc)  # fmt: skip
                failure = Failure(pid, code_of(row), type(exc).__name__, "")
                await self.db.run_write(lambda conn, failure=failure: self._quarantine(conn, [failure], now))
                total.quarantined += 1
        return total

    def _quarantine(self, conn: Connection, failed: Sequence[Failure], now: datetime) -> None:
        """Mark them, and raise one staff alert each through the relay (a ``RelayRecord`` of kind alert)."""
        p = PARTICIPANTS.c
        conn.execute(
            update(PARTICIPANTS).where(p.id.in_([f.participant_id for f in failed])).values(quarantined_at=now)
        )
        programme = self.engine.programme
        rows = self.rows()
        for f in failed:
            text = programme.msg(programme.language(None), "inbound.quarantined", code=f.code, error=f.error)
            rows.relay(f.participant_id, RelayRecord(source="system:sweep", text=text, kind="alert",
                                                     data={"error": f.error}), now)  # fmt: skip
            rows.audit.append(audit_row(at=now, participant_id=f.participant_id, actor="sweep", action="quarantined",
                                        detail={"error": f.error}))  # fmt: skip
        rows.flush(conn)


def _still_due(row: RawRow, stored_now: Any) -> bool:
    """As the due query asks it, on the values as stored (SQLite's fixed-width text sorts as time does)."""
    return row[QUARANTINED] is None and row[NEXT_DUE] is not None and row[NEXT_DUE] <= stored_now
