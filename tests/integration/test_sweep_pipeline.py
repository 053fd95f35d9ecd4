"""The sweep's pipeline on real SQLite and PostgreSQL: ticks in worker processes write exactly what
ticks in the sweeping process write; a row changed between the read and the write is ticked again
as it is now; a participant whose tick fails in a worker is quarantined and stops nobody."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import delete, func, select

from benchmarks.common import active_participants
from bot.bootstrap import conversation_service
from bot.clock import FakeClock
from bot.conversation.service import ConversationService
from bot.engine import Engine, Inbound
from bot.features import RULES, build_engine
from bot.storage.database import Database
from bot.storage.models import OutboxMessage, Participant, RelayItem
from bot.storage.rows import OUTBOX, PARTICIPANTS
from tests.support.failing_engine import Poisoned

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


async def seed(db: Database, programme, n: int) -> datetime:
    rows, due = active_participants(programme, 1, n, "test")
    async with db.engine.begin() as conn:
        await conn.execute(delete(OUTBOX))
        await conn.execute(delete(PARTICIPANTS))
        await conn.execute(PARTICIPANTS.insert(), rows)
    return due


def service_for(db: Database, engine: Engine, clock: FakeClock, workers: int, chunk: int = 5) -> ConversationService:
    service = conversation_service(db, engine, clock, timezone="Europe/Stockholm", language="en", sweep_workers=workers)
    service.sweeper.chunk = chunk
    return service


async def snapshot(db: Database) -> tuple[list, list]:
    async with db.reading() as session:
        people = (
            await session.execute(
                select(
                    Participant.code,
                    Participant.status,
                    Participant.position,
                    Participant.next_due_at,
                    Participant.quarantined_at,
                ).order_by(Participant.code)
            )
        ).all()
        messages = (
            await session.execute(
                select(Participant.code, OutboxMessage.payload, OutboxMessage.dedup_key, OutboxMessage.priority)
                .join(Participant, Participant.id == OutboxMessage.participant_id)
                .order_by(OutboxMessage.dedup_key)
            )
        ).all()
    return [tuple(p) for p in people], [tuple(m) for m in messages]


async def test_ticks_in_worker_processes_write_what_the_sweeping_process_writes(db, programme):
    results = []
    for workers in (0, 2):
        due = await seed(db, programme, 23)
        service = service_for(db, build_engine(programme), FakeClock(due), workers)
        try:
            assert await service.tick_due() == 23
        finally:
            service.sweeper.close()
        results.append(await snapshot(db))
    inline, pooled = results
    assert pooled == inline
    people, messages = pooled
    assert len(messages) == 23 and all("daily:" in key for _, _, key, _ in messages)
    assert all(next_due > START for _, _, _, next_due, _ in people), "everyone's next time is written"


async def test_a_row_changed_while_its_chunk_ticks_is_ticked_again_as_it_is_now(db, programme):
    due = await seed(db, programme, 12)
    engine = Poisoned(programme)  # the real engine, counting ticks
    service = service_for(db, engine, FakeClock(due), workers=0)
    write_chunk = service.sweeper._write

    async def answer_arrives_first(now, chunk):
        # P-0003 pauses after the sweep read the chunk and before the chunk is written.
        if any(row[1] == "P-000003" for row in chunk.rows):
            assert await service.handle("test", "3", "pause-1", Inbound(kind="command", text="pause")) is True
        return await write_chunk(now, chunk)

    service.sweeper._write = answer_arrives_first
    assert await service.tick_due() == 11, "the paused one is no longer due"
    assert engine.ticks["P-000003"] == 1, "its stale tick was computed once and dropped"
    people, messages = await snapshot(db)
    paused = next(p for p in people if p[0] == "P-000003")
    assert paused[3] is None, "the pause (nothing due while paused) was not overwritten by the stale tick"
    async with db.reading() as session:
        assert await session.scalar(select(Participant.paused).where(Participant.code == "P-000003")) is True
    assert {code for code, _, key, _ in messages if key and key.startswith("daily:")} == {
        f"P-{i:06d}" for i in range(1, 13) if i != 3
    }


async def test_a_row_changed_but_still_due_is_ticked_on_its_new_state(db, programme):
    due = await seed(db, programme, 6)
    engine = Poisoned(programme)
    service = service_for(db, engine, FakeClock(due), workers=0, chunk=6)
    write_chunk = service.sweeper._write

    async def preference_changes_first(now, chunk):
        async with db.transaction() as session:  # /settings (an event) changes the row meanwhile
            row = await session.scalar(select(Participant).where(Participant.code == "P-000002"))
            row.position = {**row.position, "prefs": {**row.position.get("prefs", {}), "quiet_from": "23:00",
                                                      "quiet_until": "23:30"}}  # fmt: skip
        return await write_chunk(now, chunk)

    service.sweeper._write = preference_changes_first
    assert await service.tick_due() == 6
    assert engine.ticks["P-000002"] == 2, "ticked again on the row as it is now"
    async with db.reading() as session:
        position = await session.scalar(select(Participant.position).where(Participant.code == "P-000002"))
    assert position["prefs"]["quiet_from"] == "23:00", "the change made meanwhile is kept"
    assert position["daily_offered"], "and the tick on top of it was written"


async def test_a_tick_failing_in_a_worker_is_quarantined_and_stops_nobody(db, programme, caplog):
    due = await seed(db, programme, 12)
    engine = Poisoned(programme, bad_code="P-000007")  # the workers are forked with this engine
    service = service_for(db, engine, FakeClock(due), workers=2)
    try:
        assert await service.tick_due() == 11
    finally:
        service.sweeper.close()
    assert any(r.levelname == "ERROR" and "P-000007" in r.getMessage() and "KeyError" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    async with db.reading() as session:
        quarantined = (
            await session.scalars(select(Participant.code).where(Participant.quarantined_at.is_not(None)))
        ).all()
        alerts = await session.scalar(select(func.count()).select_from(RelayItem).where(RelayItem.kind == "alert"))
        offers = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert quarantined == ["P-000007"] and alerts == 1 and offers == 11


class DiesInAWorker(Engine):
    """The real engine, except that a worker process ticking one code dies on the spot (killed, out
    of memory) while a flag file exists; ticked in the sweeping process itself, that code is fine."""

    def __init__(self, programme, code: str, flag) -> None:
        super().__init__(programme, None, RULES)
        self.code, self.flag, self.parent = code, flag, os.getpid()

    def tick(self, state, now):
        if state.code == self.code and os.getpid() != self.parent and self.flag.exists():
            os._exit(1)
        return super().tick(state, now)


async def test_a_worker_that_dies_costs_time_not_ticks(db, programme, caplog, tmp_path):
    due = await seed(db, programme, 30)
    flag = tmp_path / "die"
    flag.touch()
    service = service_for(db, DiesInAWorker(programme, "P-000012", flag), FakeClock(due), workers=2)
    try:
        assert await service.tick_due() == 30, "every chunk written, the lost ones ticked in this process"
        assert "a sweep worker died" in caplog.text
        _, messages = await snapshot(db)
        assert len(messages) == 30
        # The pool is whole again: the next big sweep ticks in its workers.
        flag.unlink()
        died = caplog.text.count("a sweep worker died")
        due = await seed(db, programme, 30)
        service.clock.set(due)
        assert await service.tick_due() == 30
        assert caplog.text.count("a sweep worker died") == died and len(service.sweeper.pool.pids()) == 2
    finally:
        service.sweeper.close()


def test_the_workers_are_forked_at_start_not_at_the_first_big_sweep(programme, tmp_path):
    from scheduler.sweep_pool import TickPool
    from scheduler.sweep_ticks import Writes

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}")
    pool = TickPool(build_engine(programme), lambda effects, code: None, Writes.for_dialect(db.engine.dialect), 2)
    try:
        assert pool.pids() == []
        pool.start()  # what ``icbt run`` does at start-up, before its other threads get busy
        assert len(pool.pids()) == 2
    finally:
        pool.close()
    assert pool.pids() == []
