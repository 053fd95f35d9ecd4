"""Two processes on one PostgreSQL database, each running the evening sweep and a sender at the same
time: each participant's reminder is made once and delivered once (the sweep's advisory lock and the
sender's ``FOR UPDATE SKIP LOCKED`` claims). SQLite is one process by design (docs/scaling.md)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from benchmarks.common import active_participants
from bot.bootstrap import conversation_service
from bot.clock import FakeClock
from bot.conversation.service import ConversationService
from bot.features import build_engine
from bot.storage.database import Database
from bot.storage.models import OutboxMessage
from bot.storage.rows import PARTICIPANTS
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.conftest import PG_URL, fresh_database
from tests.support import RecordingTransport

PEOPLE = 60


async def seed_active(db: Database, programme) -> FakeClock:
    """PEOPLE participants past consent and baseline, all due for the same evening's diary."""
    rows, due = active_participants(programme, 1, PEOPLE, "test")
    await db.run_write(lambda conn: conn.execute(PARTICIPANTS.insert(), rows))
    return FakeClock(due)


@pytest.mark.skipif(not PG_URL, reason="several processes are a PostgreSQL set-up (ICBT_TEST_DATABASE_URL)")
async def test_two_processes_sweeping_and_sending_at_once_deliver_each_reminder_once(programme, tmp_path):
    db = await fresh_database("postgresql", tmp_path)
    clock = await seed_active(db, programme)
    other = Database(db.url)  # the second process: its own pool, its own sweep-lock connection
    transport = RecordingTransport()
    processes = []
    for database in (db, other):
        sender = OutboxSender(database, {"test": transport}, clock, Unlimited(), claim_batch=5)
        service = conversation_service(database, build_engine(programme), clock, timezone="Europe/Stockholm",
                                      language="en", wake_sender=sender.wake.set)  # fmt: skip
        service.sweeper.chunk = 7
        processes.append((service, sender))

    async def evening(service: ConversationService, sender: OutboxSender) -> int:
        ticked = 0
        for _ in range(3):  # the sweep timer fires again while the sender is still busy
            ticked += await service.tick_due()
            await sender.drain()
        return ticked

    try:
        ticked = await asyncio.gather(*(evening(s, o) for s, o in processes))
        async with db.reading() as session:
            rows = await session.scalar(select(func.count(OutboxMessage.id)))
            unsent = await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent"))
    finally:
        await other.dispose()
        await db.dispose()
    assert sum(ticked) == PEOPLE and 0 in ticked, f"one process holds the sweep lock, the other skips: {ticked}"
    assert rows == PEOPLE and unsent == 0
    for i in range(1, PEOPLE + 1):
        [prompt] = transport.texts(str(i))  # one reminder made, delivered once
        assert "pain diary" in prompt.lower() or "entry" in prompt.lower(), prompt
