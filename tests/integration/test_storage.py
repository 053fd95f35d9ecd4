"""Storage and the service on real SQLite and PostgreSQL: one transaction per event, idempotent
inbound, resumption after a restart, and the unit of work rolling back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.bootstrap import conversation_service
from bot.engine import Inbound
from bot.errors import StorageUnavailable
from bot.features import build_engine
from bot.storage.database import Database
from bot.storage.models import Answer, AuditEntry, Consent, OutboxMessage, Participant, ProcessedEvent, RelayItem
from tests.support.chat import CHAT, Driver


async def count(db: Database, model: type) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def participant(db: Database) -> Participant:
    async with db.reading() as session:
        row = await session.scalar(select(Participant).where(Participant.chat_id == CHAT))
        assert row is not None
        return row


@pytest.fixture
def driver(service, sender, transport) -> Driver:
    return Driver(service, sender, transport)


async def test_migrations_create_every_table_and_are_idempotent(db):
    await db.upgrade()  # second run is a no-op
    async with db.engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(__import__("sqlalchemy").inspect(c).get_table_names()))
    assert {"participants", "answers", "consents", "processed_events", "outbox", "relay_items", "audit_log"} <= names


async def test_unit_of_work_rolls_back_unless_committed(db, clock):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            session.add(AuditEntry(at=clock.now(), actor="test", action="x", detail={}))
            await session.flush()
            raise RuntimeError("boom")
    assert await count(db, AuditEntry) == 0


async def test_consent_and_answers_are_stored_with_version_and_time(driver, db, programme, clock):
    await driver.through_consent()
    row = await participant(db)
    assert row.code == f"P-{row.id:04d}"
    assert row.status == "active"
    async with db.reading() as session:
        consent = (await session.scalars(select(Consent))).one()
        answers = list(await session.scalars(select(Answer).order_by(Answer.id)))
    assert (consent.version, consent.agreed, consent.content_version) == ("2026-11-consent-v3", True, programme.version)
    assert consent.at == clock.now()
    assert answers and all(a.content_version == programme.version for a in answers)
    assert answers[-1].module_id == "consent" and answers[-1].value == "agree"


async def test_a_redelivered_update_is_a_no_op(driver, db, transport):
    await driver.send(Inbound(kind="command", text="start"), update_id=1)
    await driver.press()
    messages = len(transport.sent[CHAT])
    answers, events = await count(db, Answer), await count(db, ProcessedEvent)
    position = (await participant(db)).position
    await driver.send(Inbound(kind="command", text="start"), update_id=1)  # Telegram sends it again
    assert len(transport.sent[CHAT]) == messages
    assert await count(db, Answer) == answers
    assert await count(db, ProcessedEvent) == events
    assert (await participant(db)).position == position


async def test_restart_resumes_at_the_same_step_with_nothing_lost_or_doubled(driver, db, programme, clock, sender):
    await driver.through_consent()
    for _ in range(5):
        await driver.press()
    before = await participant(db)
    answers = await count(db, Answer)
    # A new process: new engine, new service, new database object on the same URL.
    db2 = Database(db.url)
    await db2.upgrade()
    service2 = conversation_service(db2, build_engine(programme), clock, timezone="Europe/Stockholm", language="en")
    await service2.handle("test", CHAT, "9999", Inbound(kind="command", text="menu"))
    after = await participant(db2)
    assert after.position.get("frames") == before.position.get("frames")
    assert await count(db2, Answer) == answers
    await db2.dispose()


async def test_outbox_rows_are_written_with_the_event_and_marked_sent(driver, db):
    await driver.send(Inbound(kind="command", text="start"))
    async with db.reading() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    assert rows and all(r.status == "sent" and r.channel_message_id for r in rows)


async def test_questions_reach_the_relay_queue_and_only_the_relay_posts_them(driver, db, transport):
    await driver.through_consent()
    await driver.send(Inbound(kind="command", text="ask", args="Is swimming OK for my back?"))
    async with db.reading() as session:
        item = (await session.scalars(select(RelayItem))).one()
    assert item.text == "Is swimming OK for my back?" and item.status == "open"
    assert item.stage == "new"
    assert transport.sent["staff"] == [], "the write path only inserts the item; the relay service posts it"


async def test_due_sweep_opens_week_2_once(driver, db, service, clock, transport):
    from datetime import timedelta

    await driver.through_consent()
    # finish the baseline through the service, answering like a cooperative participant
    for _ in range(200):
        row = await participant(db)
        if not row.position.get("frames"):
            break
        last = transport.sent[CHAT][-1]
        labels = [b["label"] for r in last["buttons"] for b in r]
        if "Continue ›" in labels:
            await driver.press("Continue ›")
        elif labels and labels != ["Skip"]:
            await driver.press()
        else:
            await driver.send(Inbound(kind="text", text="5"))
    row = await participant(db)
    assert not row.position.get("frames") and row.next_due_at is not None
    clock.set(row.next_due_at)
    for _ in range(40):  # let the sweep catch up through daily diaries to the week-2 unlock
        row = await participant(db)
        if row.position.get("frames"):
            break
        clock.set(max(clock.now(), row.next_due_at))
        await service.tick_due()
        await driver.sender.drain()
        clock.advance(timedelta(minutes=1))
    opened = [t for t in transport.texts(CHAT) if t.startswith("A new module is open: Module 1")]
    assert len(opened) == 1
    await service.tick_due()  # a second, overlapping sweep sends nothing again
    assert len([t for t in transport.texts(CHAT) if t.startswith("A new module is open: Module 1")]) == 1


async def test_unreachable_database_fails_loudly(tmp_path):
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageUnavailable):
        await db.check()
    await db.dispose()


async def test_an_outbox_or_audit_row_is_the_same_from_a_session_as_from_the_batch(db, clock):
    """``outbox_message`` / ``audit`` (a session) and ``EffectRows`` (the batch INSERT) store the same row:
    one builder each, with the same defaults (pending, never tried, due at once, bulk priority)."""
    from bot.storage.audit import audit, audit_row
    from bot.storage.outbox import outbox_message
    from bot.storage.rows import EffectRows

    now, payload = clock.now(), {"text": "Hej ✓", "buttons": [], "image": None}
    async with db.transaction() as session:
        session.add(outbox_message(None, ("test", "staff"), payload, now, dedup_key="from-session"))
        audit(session, at=now, participant_id=None, actor="cli:x", action="noted", detail={"n": 1})

    def batch(conn) -> None:
        rows = EffectRows(version="v")
        rows.message(None, ("test", "staff"), payload, now, "from-batch")
        rows.audit.append(audit_row(at=now, participant_id=None, actor="cli:x", action="noted", detail={"n": 1}))
        rows.flush(conn)

    await db.run_write(batch)
    async with db.reading() as session:
        messages = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()

    def columns(row, leave_out: set[str]) -> dict:
        return {c.key: getattr(row, c.key) for c in row.__table__.c if c.key not in leave_out}

    session_message, batch_message = (columns(m, {"id", "dedup_key"}) for m in messages)
    assert session_message == batch_message
    assert (session_message["status"], session_message["attempts"], session_message["priority"]) == ("pending", 0, 1)
    assert session_message["not_before"] == session_message["created_at"] == now
    assert columns(entries[0], {"id"}) == columns(entries[1], {"id"})
