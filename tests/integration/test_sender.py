"""The outbox sender on SQLite and PostgreSQL: order per chat, retries, priority, parts; and on
virtual time with the real rate limiter: concurrency, no chat blocking another, zero 429s."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from benchmarks.telegram_limits import BotApiLimits
from bot.clock import FakeClock
from bot.storage.models import PRIORITY_INTERACTIVE, OutboxMessage
from scheduler.ratelimit import RateLimiter, Unlimited
from scheduler.sender import DeliveryFailed, DeliveryRefused, DeliveryRetry, OutboxSender
from tests.conftest import fresh_database
from tests.support.measures import new_participant
from tests.support.sender import PartsTransport, add_row, row
from tests.support.virtual_time import now, run_virtual


async def add_rows(db, clock, chat: str, texts: list[str]) -> None:
    for text in texts:
        await add_row(db, clock, chat, text)


async def test_order_is_kept_per_chat_when_a_send_fails(db, clock, sender, transport):
    await add_rows(db, clock, "1", ["one", "two", "three"])
    transport.fail_with.append(DeliveryFailed("network down"))
    assert await sender.drain() == 0, "after a failure nothing later in that chat goes out"
    assert transport.texts("1") == []
    clock.advance(timedelta(seconds=3))
    assert await sender.drain() == 3
    assert transport.texts("1") == ["one", "two", "three"]


async def test_repeated_failures_back_off_and_give_up_on_a_participant_message(db, clock, sender, transport):
    await add_row(db, clock, "1", "hello", participant_id=await new_participant(db))
    for _ in range(8):
        transport.fail_with.append(DeliveryFailed("down"))
        await sender.drain()
        clock.advance(timedelta(minutes=15))
    async with db.reading() as session:
        found = (await session.scalars(select(OutboxMessage))).one()
    assert (found.status, found.attempts) == ("failed", 8)


async def test_interactive_replies_go_out_before_bulk_reminders(db, clock):
    channel = PartsTransport()
    sender = OutboxSender(db, {"test": channel}, clock, Unlimited(), max_in_flight=1)
    for chat in range(5):
        await add_row(db, clock, str(chat), f"reminder {chat}", dedup_key=f"r{chat}")
    await add_row(db, clock, "9", "reply", priority=PRIORITY_INTERACTIVE)
    assert await sender.drain() == 6
    assert channel.texts()[0] == "reply"


async def test_retry_after_holds_only_that_chat(db, clock):
    channel = PartsTransport(fail={("a1", 0): DeliveryRetry(30)})
    sender = OutboxSender(db, {"test": channel}, clock, Unlimited())
    await add_rows(db, clock, "1", ["a1", "a2"])
    await add_rows(db, clock, "2", ["b1", "b2"])
    assert await sender.drain() == 2
    assert channel.texts("2") == ["b1", "b2"], "the other chat goes on"
    assert channel.texts("1") == [], "the waiting chat keeps its order: a2 waits behind a1"
    clock.advance(timedelta(seconds=29))
    assert await sender.drain() == 0, "retry_after is obeyed"
    clock.advance(timedelta(seconds=1))
    assert await sender.drain() == 2
    assert channel.texts("1") == ["a1", "a2"]


async def test_a_message_in_parts_resumes_after_the_last_part_sent(db, clock):
    channel = PartsTransport(fail={("long", 2): DeliveryRetry(5)})
    sender = OutboxSender(db, {"test": channel}, clock, Unlimited())
    row_id = await add_row(db, clock, "1", "long", parts=4, priority=PRIORITY_INTERACTIVE)
    assert await sender.drain() == 0
    assert (await row(db, row_id)).parts_sent == 2, "the parts Telegram accepted are recorded"
    clock.advance(timedelta(seconds=5))
    assert await sender.drain() == 1
    assert [s.part for s in channel.log] == [0, 1, 2, 3], "never resent whole"
    assert (await row(db, row_id)).status == "sent"


def test_requests_overlap_and_stay_within_every_bot_api_limit(tmp_path: Path):
    """120 chats at a 200 ms round trip: one at a time would take 24 s; the limits allow about 4."""

    async def main() -> PartsTransport:
        db = await fresh_database("sqlite", tmp_path)
        clock = FakeClock()
        channel = PartsTransport(rtt=0.2, judge=BotApiLimits())
        sender = OutboxSender(db, {"test": channel}, clock, RateLimiter(now, asyncio.sleep), max_in_flight=16)
        for chat in range(120):
            await add_row(db, clock, str(1000 + chat), f"m{chat}")
        await add_rows(db, clock, "-100200", [f"staff {i}" for i in range(25)])
        await sender.drain()
        await db.dispose()
        return channel

    channel = run_virtual(main)
    assert channel.judge is not None and channel.judge.refused == 0, "zero 429s"
    assert len(channel.texts()) == 145
    private = max(s.at for s in channel.log if not s.chat_id.startswith("-"))
    assert channel.most_in_flight > 1
    assert private < 8, f"requests overlap: the 120 private messages took {private:.1f} s"
    group = [s.at for s in channel.log if s.chat_id.startswith("-")]
    assert abs((group[24] - group[0]) / 24 - 60 / 19) < 0.2, "the group gets 19 a minute, never 20 in a minute"


def test_a_waiting_chat_never_blocks_another_and_a_late_reply_jumps_the_queue(tmp_path: Path):
    written: dict[str, float] = {}

    async def main() -> dict[str, float]:
        db = await fresh_database("sqlite", tmp_path)
        clock = FakeClock()
        channel = PartsTransport(rtt=0.05, judge=BotApiLimits(), milestone=15)
        sender = OutboxSender(db, {"test": channel}, clock, RateLimiter(now, asyncio.sleep), claim_batch=8)
        await add_rows(db, clock, "1", ["a0", "a1", "a2", "a3"])
        await add_rows(db, clock, "2", ["b0"])
        for chat in range(60):
            await add_row(db, clock, str(100 + chat), f"bulk{chat}", dedup_key=f"k{chat}")

        async def reply_later() -> None:
            await channel.reached.wait()  # bulk is well under way
            await add_row(db, clock, "3", "reply", priority=PRIORITY_INTERACTIVE)
            written["reply"] = now()
            sender.wake.set()

        await asyncio.gather(sender.drain(), reply_later())
        await db.dispose()
        assert channel.judge is not None and channel.judge.refused == 0
        return {s.text: s.at for s in channel.log}

    at = run_virtual(main)
    assert at["a2"] >= 0.999 and at["a3"] >= 1.999, "chat 1 keeps one a second after its burst"
    assert at["b0"] < 0.2, "chat 2 does not wait for chat 1"
    after = [text for text, t in at.items() if t > at["reply"]]
    assert len(after) >= 20, "the late interactive reply goes ahead of the bulk still queued (8 are in hand)"
    assert at["reply"] >= written["reply"]


async def test_run_sends_when_woken_and_a_stop_finishes_what_is_in_hand(db, clock):
    channel = PartsTransport(milestone=1)
    sender = OutboxSender(db, {"test": channel}, clock, Unlimited())
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop, idle_seconds=3600))
    await add_row(db, clock, "1", "hello", priority=PRIORITY_INTERACTIVE)
    sender.wake.set()  # what the service does after committing an event
    await channel.reached.wait()
    stop.set()
    await running
    assert channel.texts() == ["hello"]
    async with db.reading() as session:
        assert set(await session.scalars(select(OutboxMessage.status))) == {"sent"}, "nothing left in flight"


async def test_a_malformed_message_fails_without_touching_anyone(db, clock):
    channel = PartsTransport(fail={("bad", 0): DeliveryRefused("bad request: can't parse entities", chat_gone=False)})
    sender = OutboxSender(db, {"test": channel}, clock, Unlimited())
    bad = await add_row(db, clock, "1", "bad")
    await add_row(db, clock, "1", "next")
    assert await sender.drain() == 1
    assert (await row(db, bad)).status == "failed"
    assert channel.texts("1") == ["next"], "the chat goes on after it"


async def test_a_row_that_breaks_the_channel_fails_alone_with_one_line_and_the_others_go_out(db, clock, caplog):
    channel = PartsTransport(fail={("broken", 0): KeyError("text")})
    sender = OutboxSender(db, {"test": channel}, clock, Unlimited())
    bad = await add_row(db, clock, "1", "broken")
    await add_row(db, clock, "1", "after it")
    await add_row(db, clock, "2", "someone else")
    with caplog.at_level("ERROR"):
        assert await sender.drain() == 2
    assert (await row(db, bad)).status == "failed"
    assert channel.texts("1") == ["after it"] and channel.texts("2") == ["someone else"]
    errors = [r for r in caplog.records if r.levelno >= 40]
    assert len(errors) == 1 and errors[0].exc_info is None
