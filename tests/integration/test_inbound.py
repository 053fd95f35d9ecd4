"""The inbound write path: group commit, idempotency, sweeps that isolate a poisoned participant,
and one sweeper at a time — on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from bot.bootstrap import conversation_service
from bot.conversation.service import ConversationService
from bot.engine import Inbound
from bot.features import build_engine
from bot.storage.database import Database
from bot.storage.models import (
    PRIORITY_BULK,
    PRIORITY_INTERACTIVE,
    AuditEntry,
    OutboxMessage,
    Participant,
    ProcessedEvent,
    RelayItem,
)
from bot.storage.quarantine import unquarantine
from bot.storage.rows import EffectRows, statements
from bot.storage.writer import GroupCommitWriter
from tests.support.failing_engine import Poisoned
from tests.support.relay import active_participant, relay_config, relay_service

START = Inbound(kind="command", text="start")


def make_service(db, engine, clock, staff=("test", "staff")) -> ConversationService:
    return conversation_service(db, engine, clock, timezone="Europe/Stockholm", language="en", staff_target=staff)


async def scalar(db: Database, query):
    async with db.reading() as session:
        return await session.scalar(query)


async def count(db: Database, model, *where) -> int:
    return await scalar(db, select(func.count()).select_from(model).where(*where)) or 0


async def test_events_arriving_together_share_one_commit_and_each_keeps_its_effects(db, programme, clock):
    service = make_service(db, Poisoned(programme), clock)
    results = await asyncio.gather(*(service.handle("test", f"c{i}", f"u{i}", START) for i in range(12)))
    assert results == [True] * 12
    assert service.writer.batches == 1, "twelve events arriving together committed as one transaction"
    assert await count(db, ProcessedEvent) == 12
    for i in range(12):
        pid = await scalar(db, select(Participant.id).where(Participant.chat_id == f"c{i}"))
        assert await count(db, OutboxMessage, OutboxMessage.participant_id == pid) >= 1
        assert await scalar(db, select(Participant.status).where(Participant.id == pid)) == "onboarding"


async def test_a_failing_event_does_not_lose_its_batch_mates(db, programme, clock):
    """The engine failing on one participant's event costs nobody else anything, and costs them
    nothing either: the event is recorded, their words go to staff as text, they are quarantined."""
    service = make_service(db, Poisoned(programme), clock)
    await service.handle("test", "bad", "u0", START)
    before = await count(db, OutboxMessage)
    calls = [service.handle("test", f"c{i}", f"u{i + 1}", START) for i in range(5)]
    calls.insert(2, service.handle("test", "bad", "u-bad", Inbound(kind="text", text="boom")))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert results == [True] * 6
    assert await count(db, ProcessedEvent, ProcessedEvent.event_id == "u-bad") == 1, "recorded, not lost"
    assert await count(db, ProcessedEvent) == 7
    assert await count(db, OutboxMessage) > before
    assert await count(db, RelayItem, RelayItem.text == "boom") == 1, "their words reach staff"
    assert await count(db, Participant, Participant.quarantined_at.is_not(None)) == 1
    # a redelivery of the same update is the no-op it always was
    assert await service.handle("test", "bad", "u-bad", Inbound(kind="text", text="boom")) is False


async def test_a_redelivered_event_in_the_same_batch_is_a_no_op(db, programme, clock):
    service = make_service(db, Poisoned(programme), clock)
    first, second = await asyncio.gather(
        service.handle("test", "c1", "u1", START), service.handle("test", "c1", "u1", START)
    )
    assert (first, second) == (True, False)
    assert service.writer.batches == 1
    single = make_service(db, Poisoned(programme), clock)
    await single.handle("test", "c2", "u2", START)
    assert await count(db, ProcessedEvent) == 2
    per_chat = [await count(db, OutboxMessage, OutboxMessage.chat_id == c) for c in ("c1", "c2")]
    assert per_chat[0] == per_chat[1], "the second copy wrote nothing"
    assert await single.handle("test", "c2", "u2", START) is False  # redelivered later: also nothing


async def test_a_duplicate_dedup_key_is_a_no_op_not_an_error(db, programme, clock):
    service = make_service(db, Poisoned(programme), clock)
    await service.handle("test", "c1", "u1", START)
    pid = await scalar(db, select(Participant.id))

    def write_reminders(conn) -> int:
        rows = EffectRows(version="v")
        for _ in range(2):  # twice in one statement ...
            rows.message(pid, ("test", "c1"), {"text": "diary", "buttons": [], "image": None}, clock.now(), "daily:k")
        return rows.flush(conn)

    await db.run_write(write_reminders)
    await db.run_write(write_reminders)  # ... and again in a later transaction
    assert await count(db, OutboxMessage, OutboxMessage.dedup_key == "daily:k") == 1


def test_hot_path_statements_are_cached_by_sqlalchemy():
    for dialect in ("sqlite", "postgresql"):
        sql = statements(dialect)
        for statement in (sql.record_event, sql.outbox, sql.participants_by_chats, sql.due_raw, sql.recheck_raw):
            assert statement._generate_cache_key() is not None, (dialect, statement)
    assert statements("sqlite").outbox._generate_cache_key() != insert_ignore_key("plain")


def insert_ignore_key(kind: str):
    from bot.storage.rows import OUTBOX

    return OUTBOX.insert()._generate_cache_key()


async def enrol(db, service, clock, n: int) -> list[str]:
    await asyncio.gather(*(service.handle("test", f"c{i}", f"u{i}", START) for i in range(n)))
    async with db.transaction() as session:  # everyone due a minute ago
        await session.execute(update(Participant).values(next_due_at=clock.now() - timedelta(minutes=1)))
    async with db.reading() as session:
        return list(await session.scalars(select(Participant.code).order_by(Participant.id)))


async def test_a_poisoned_participant_is_quarantined_and_alerted_and_stops_nobody(
    db, programme, clock, caplog, sender, transport
):
    engine = Poisoned(programme)
    service = make_service(db, engine, clock)
    codes = await enrol(db, service, clock, 5)
    engine.bad_code = codes[2]
    service.sweeper.chunk = 2  # the poisoned one shares a chunk with a healthy one
    assert await service.tick_due() == 4
    assert engine.ticks == Counter(codes)
    assert f"tick failed for {codes[2]}" in caplog.text
    assert any(r.levelname == "ERROR" and codes[2] in r.getMessage() for r in caplog.records)
    quarantined = await scalar(db, select(Participant.quarantined_at).where(Participant.code == codes[2]))
    assert quarantined == clock.now()
    past = clock.now() - timedelta(minutes=1)
    async with db.reading() as session:
        due = dict((await session.execute(select(Participant.code, Participant.next_due_at))).all())
    assert [code for code in codes if due[code] == past] == [codes[2]], "the others' ticks were written"
    alert = await scalar(db, select(RelayItem).where(RelayItem.kind == "alert"))
    assert alert is not None and codes[2] in alert.text and alert.status == "open" and alert.stage == "new"
    # The alert reaches the staff group the way every relay record does: the relay service posts it.
    relay = relay_service(db, clock, programme, relay_config())
    assert await relay.process_pending() == 1
    await sender.drain()
    [staff] = transport.sent["staff"]
    assert codes[2] in staff["text"] and "unquarantine" in staff["text"]

    async with db.transaction() as session:  # due again; the quarantined one stays out
        await session.execute(update(Participant).values(next_due_at=clock.now() - timedelta(minutes=1)))
    await service.tick_due()
    assert engine.ticks[codes[2]] == 1 and engine.ticks[codes[0]] == 2

    assert await unquarantine(db, codes[2], clock.now()) is True
    engine.bad_code = None
    await service.tick_due()
    assert engine.ticks[codes[2]] == 2
    assert await count(db, AuditEntry, AuditEntry.action == "unquarantined") == 1
    assert await unquarantine(db, codes[2], clock.now()) is False


async def test_a_sweep_has_no_cap_per_run(db, programme, clock):
    engine = Poisoned(programme)
    service = make_service(db, engine, clock)
    codes = await enrol(db, service, clock, 30)
    service.sweeper.chunk = 7
    assert await service.tick_due() == 30
    assert engine.ticks == Counter(codes)


async def test_two_sweepers_tick_each_participant_once(db, programme, clock, tmp_path):
    first = Poisoned(programme)
    service = make_service(db, first, clock)
    codes = await enrol(db, service, clock, 40)
    other_db = Database(db.url)  # a second process on the same database
    second = Poisoned(programme)
    rival = make_service(other_db, second, clock)
    try:
        service.sweeper.chunk = rival.sweeper.chunk = 5
        ours, theirs = await asyncio.gather(service.tick_due(), rival.tick_due())
        # Each participant's tick is written once. On SQLite both may compute one (ticks are read and
        # computed before the write transaction); the write keeps only ticks of rows unchanged since.
        assert ours + theirs == 40, "each participant's tick written exactly once"
        assert set(first.ticks) | set(second.ticks) == set(codes)
        if db.is_sqlite:
            return  # SQLite is one process; there the lock is always held
        assert db.sweep_lock.held != other_db.sweep_lock.held, "one process holds the sweep lock"
        holder, waiter = (db, other_db) if db.sweep_lock.held else (other_db, db)
        # The holder dies: its connection is closed by the server, which releases the lock.
        pid = await holder.sweep_lock.backend_pid()
        async with waiter.engine.connect() as conn:
            # with a timeout, PostgreSQL returns only once the backend has exited (and its lock is gone)
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}) is True
        assert await waiter.sweep_lock.acquire() is True, "the survivor takes the sweeps over"
        assert await holder.sweep_lock.acquire() is False, "the old holder finds the lock taken"
    finally:
        await other_db.dispose()


class UnwritableTick(Poisoned):
    """The tick itself succeeds, but for one code it yields an answer no database can store."""

    bad_write: str | None = None

    def tick(self, state, now):
        effects = super().tick(state, now)
        if state.code == self.bad_write:
            from bot.engine.model import AnswerRecord

            effects.answers.append(AnswerRecord("m", "s", None, value=object()))
        return effects


async def test_a_participant_whose_tick_cannot_be_written_is_quarantined_and_the_rest_go_on(db, programme, clock):
    engine = UnwritableTick(programme)
    service = make_service(db, engine, clock)
    codes = await enrol(db, service, clock, 6)
    engine.bad_write = codes[3]
    assert await service.tick_due() == 5
    past = clock.now() - timedelta(minutes=1)
    async with db.reading() as session:
        rows = (
            await session.execute(select(Participant.code, Participant.next_due_at, Participant.quarantined_at))
        ).all()
    assert [code for code, due, _ in rows if due == past] == [codes[3]]
    assert [code for code, _, quarantined in rows if quarantined is not None] == [codes[3]]
    assert await count(db, RelayItem, RelayItem.kind == "alert") == 1


async def test_other_writers_interleave_with_the_group_commit_writer(db, programme, clock):
    """The staff side, the sender and the CLI keep using Database.transaction() at the same time."""
    service = make_service(db, Poisoned(programme), clock)

    async def other_writer(i: int) -> None:
        async with db.transaction() as session:
            session.add(AuditEntry(at=clock.now(), actor="staff", action=f"note{i}", detail={}))

    events = [service.handle("test", f"c{i}", f"u{i}", START) for i in range(20)]
    others = [other_writer(i) for i in range(20)]
    results = await asyncio.gather(*[x for pair in zip(events, others, strict=True) for x in pair])
    assert results[0::2] == [True] * 20
    assert await count(db, AuditEntry, AuditEntry.actor == "staff") == 20
    assert await count(db, ProcessedEvent) == 20


def test_a_bad_batch_setting_is_one_readable_line(monkeypatch):
    from bot.errors import ConfigError
    from bot.settings import load_settings

    monkeypatch.setenv("ICBT_SWEEP_CHUNK", "0")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith("config error: ICBT_SWEEP_CHUNK:")


async def test_bootstrap_wires_the_batch_settings(tmp_path, clock):
    from bot.bootstrap import bootstrap
    from bot.settings import load_settings
    from scheduler.sweep_pool import default_workers

    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}", sweep_chunk=7,
                             group_commit_max_batch=9, sweep_workers=3)  # fmt: skip
    app = await bootstrap(settings, clock, {}, staff_target=None)
    try:
        assert (app.service.sweeper.chunk, app.service.writer.max_batch) == (7, 9)
        assert app.service.sweeper.pool.workers == 3 and app.service.sweeper.pool.pids() == [], "forked on start"
    finally:
        await app.db.dispose()
    default = await bootstrap(load_settings(database_url=settings.database_url), clock, {}, staff_target=None)
    try:
        assert default.service.sweeper.pool.workers == default_workers()  # one per core (none on one core)
    finally:
        await default.db.dispose()


async def test_replies_to_an_event_are_interactive_and_sweep_messages_bulk(db, programme, clock):
    """The sender sends by ``priority``: a reply overtakes an evening's reminders."""
    service = make_service(db, build_engine(programme), clock)
    participant = await active_participant(service)
    async with db.reading() as session:
        replies = (await session.execute(select(OutboxMessage.priority, OutboxMessage.chat_id))).all()
    assert replies and {p for p, _ in replies} == {PRIORITY_INTERACTIVE}
    last = max(await scalar(db, select(func.max(OutboxMessage.id))), 0)
    for _ in range(10):  # let time pass until a sweep has something to say (a diary prompt, a module)
        due = await scalar(db, select(Participant.next_due_at).where(Participant.id == participant.id))
        clock.set(max(clock.now(), due))
        await service.tick_due()
        if await count(db, OutboxMessage, OutboxMessage.id > last):
            break
    async with db.reading() as session:
        swept = list(await session.scalars(select(OutboxMessage.priority).where(OutboxMessage.id > last)))
    assert swept and set(swept) == {PRIORITY_BULK}
    await service.handle("test", participant.chat_id, "later", Inbound(kind="command", text="help"))
    async with db.reading() as session:
        newest = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    assert newest.priority == PRIORITY_INTERACTIVE


async def test_an_event_submitted_as_the_writer_goes_idle_is_still_written(db):
    """A caller that submits again as soon as its answer arrives, while the worker that answered it
    is finishing, must not be left waiting (a worker count checked too late once hung forever)."""
    writer = GroupCommitWriter(db, lambda conn, items: [conn.execute(text("SELECT 1")).scalar() for _ in items])

    async def one_after_another() -> int:
        return sum([await writer.submit(i) for i in range(30)])

    assert await asyncio.wait_for(one_after_another(), timeout=60) == 30
