"""Exactly once, stated and tested: a process killed between "Telegram accepted" and "row marked sent",
and two senders racing on one PostgreSQL database.

The rule (docs/operations.md): a row in flight is sent again (at least once), reminders as much as
replies, so nothing is lost; only a chat's oldest open row is ever claimed, so at most one message per
chat is repeated, and a message in parts repeats only the part that was in flight.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.storage.database import Database
from bot.storage.models import PRIORITY_INTERACTIVE, OutboxMessage
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.conftest import PG_URL, fresh_database
from tests.support.sender import Crash, PartsTransport, add_row, row

LEASE = timedelta(seconds=60)


async def crash_then_restart(db: Database, clock, channel: PartsTransport) -> OutboxSender:
    """Run a sender until it dies; return a fresh sender (own connection pool) that recovered."""
    first = OutboxSender(db, {"test": channel}, clock, Unlimited(), lease=LEASE, owner="first")
    with pytest.raises(Crash):
        await first.drain()
    if not db.is_sqlite:  # other processes may be alive: only an expired lease is taken over
        assert (await OutboxSender(db, {}, clock, Unlimited(), lease=LEASE).recover()).resent == []
        clock.advance(LEASE + timedelta(seconds=1))
    restarted = OutboxSender(Database(db.url), {"test": channel}, clock, Unlimited(), lease=LEASE, owner="second")
    await restarted.recover()
    return restarted


async def test_a_reminder_in_flight_at_a_crash_is_sent_again_not_lost(db, clock):
    channel = PartsTransport(crash_after={("evening diary", 0)})
    row_id = await add_row(db, clock, "1", "evening diary", dedup_key="diary:P-0001:2026-01-05")
    restarted = await crash_then_restart(db, clock, channel)
    assert await restarted.drain() == 1
    assert channel.texts() == ["evening diary"] * 2, "at least once: the one in flight may arrive twice"
    assert (await row(db, row_id)).status == "sent"
    await restarted.db.dispose()


async def test_a_crash_loses_no_reminder_and_repeats_at_most_one_message_per_chat(db, clock):
    """Reminders to 12 chats, 3 each; the sender dies with a batch claimed and one in flight."""
    channel = PartsTransport(crash_after={("5:1", 0)})
    for chat in range(12):
        for n in range(3):
            await add_row(db, clock, str(chat), f"{chat}:{n}", dedup_key=f"diary:{chat}:{n}")
    first = OutboxSender(db, {"test": channel}, clock, Unlimited(), lease=LEASE, owner="first", claim_batch=8)
    with pytest.raises(Crash):
        await first.drain()
    if not db.is_sqlite:
        clock.advance(LEASE + timedelta(seconds=1))
    restarted = OutboxSender(Database(db.url), {"test": channel}, clock, Unlimited(), lease=LEASE, owner="second")
    await restarted.recover()
    await restarted.drain()
    for chat in range(12):
        texts = channel.texts(str(chat))
        assert set(texts) == {f"{chat}:{n}" for n in range(3)}, f"chat {chat}: no reminder lost"
        assert len(texts) - 3 <= 1, f"chat {chat}: at most one repeated: {texts}"
        assert [t for i, t in enumerate(texts) if t not in texts[:i]] == [f"{chat}:{n}" for n in range(3)], "in order"
    async with db.reading() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"}
    await restarted.db.dispose()


async def test_an_interactive_reply_in_flight_at_a_crash_is_sent_again(db, clock):
    channel = PartsTransport(crash_after={("your answer is saved", 0)})
    row_id = await add_row(db, clock, "1", "your answer is saved", priority=PRIORITY_INTERACTIVE)
    restarted = await crash_then_restart(db, clock, channel)
    assert await restarted.drain() == 1
    assert channel.texts() == ["your answer is saved"] * 2, "at least once"
    assert (await row(db, row_id)).status == "sent"
    await restarted.db.dispose()


async def test_a_long_reply_in_flight_at_a_crash_resumes_at_the_part_in_flight(db, clock):
    channel = PartsTransport(crash_after={("module text", 2)})
    row_id = await add_row(db, clock, "1", "module text", parts=4, priority=PRIORITY_INTERACTIVE)
    restarted = await crash_then_restart(db, clock, channel)
    assert await restarted.drain() == 1
    assert [s.part for s in channel.log] == [0, 1, 2, 2, 3], "only the part in flight is repeated"
    assert (await row(db, row_id)).status == "sent"
    await restarted.db.dispose()


async def test_a_reply_killed_before_telegram_answered_is_still_delivered(db, clock):
    channel = PartsTransport(fail={("hello", 0): Crash("killed while the request was on the wire")})  # type: ignore[dict-item]
    await add_row(db, clock, "1", "hello", priority=PRIORITY_INTERACTIVE)
    restarted = await crash_then_restart(db, clock, channel)
    assert await restarted.drain() == 1
    assert channel.texts() == ["hello"]
    await restarted.db.dispose()


@pytest.mark.skipif(PG_URL is None, reason="two processes share a database only on PostgreSQL")
async def test_two_senders_on_postgresql_deliver_each_message_exactly_once(tmp_path, clock):
    db = await fresh_database("postgresql", tmp_path)
    other = Database(db.url)
    channel = PartsTransport()
    for chat in range(30):
        for n in range(8):
            await add_row(db, clock, str(chat), f"{chat}:{n}")
    senders = [
        OutboxSender(db, {"test": channel}, clock, Unlimited(), claim_batch=6, owner="a"),
        OutboxSender(other, {"test": channel}, clock, Unlimited(), claim_batch=6, owner="b"),
    ]

    async def open_rows() -> int:
        async with db.reading() as session:
            return await session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(("pending", "sending")))
            )

    async def keep_sending(sender: OutboxSender) -> int:
        delivered = 0
        while await open_rows():
            delivered += await sender.drain()
        return delivered

    counts = await asyncio.gather(*(keep_sending(s) for s in senders))
    texts = channel.texts()
    assert len(texts) == len(set(texts)) == 240, "every message once, none twice"
    assert sum(counts) == 240 and min(counts) > 0, f"both senders took part: {counts}"
    for chat in range(30):
        assert channel.texts(str(chat)) == [f"{chat}:{n}" for n in range(8)], "order kept per chat"
    async with db.reading() as session:
        owners = set(await session.scalars(select(OutboxMessage.claimed_by)))
    assert owners == {"a", "b"}
    await other.dispose()
    await db.dispose()


async def test_recovery_while_running_takes_over_only_expired_claims(db, clock):
    row_id = await add_row(db, clock, "1", "hello", priority=PRIORITY_INTERACTIVE)
    other = OutboxSender(db, {}, clock, Unlimited(), lease=LEASE, owner="other")
    assert [c.id for c in await other.store.claim(10)] == [row_id]
    sender = OutboxSender(db, {"test": PartsTransport()}, clock, Unlimited(), lease=LEASE)
    assert (await sender.recover(at_start=False)).resent == [], "a live claim is left alone"
    assert (await row(db, row_id)).status == "sending"
    clock.advance(LEASE + timedelta(seconds=1))
    assert (await sender.recover(at_start=False)).resent == [row_id], "an expired lease is taken over"
    assert await sender.drain() == 1
