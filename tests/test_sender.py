"""The outbox sender and its rate limiter, on fake time (no sleeping)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import OutboxMessage
from scheduler.ratelimit import RateLimiter
from scheduler.sender import DeliveryFailed


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_one_message_per_second_per_private_chat():
    t = FakeTime()
    limiter = RateLimiter(t.monotonic, t.sleep)
    waits = [await limiter.acquire("42") for _ in range(4)]
    assert waits[0] == 0
    assert [round(w, 6) for w in waits[1:]] == [1.0, 1.0, 1.0]
    assert await limiter.acquire("43") == 0, "another chat is not held up"


async def test_twenty_per_minute_per_group_and_thirty_per_second_overall():
    t = FakeTime()
    limiter = RateLimiter(t.monotonic, t.sleep)
    start = t.now
    for _ in range(23):
        await limiter.acquire("-100500")
    assert round(t.now - start) == 60, "3 at once, then one every 3 s"
    t2 = FakeTime()
    overall = RateLimiter(t2.monotonic, t2.sleep)
    for chat in range(60):
        await overall.acquire(str(chat))
    assert 0.9 <= t2.now - 1000.0 <= 1.1, "60 different chats take about one second at 30/s"


async def add_rows(db, clock, chat: str, texts: list[str]) -> None:
    async with db.transaction() as session:
        for text in texts:
            session.add(OutboxMessage(channel="test", chat_id=chat, payload={"text": text, "buttons": []},
                                      status="pending", attempts=0, not_before=clock.now(), created_at=clock.now()))  # fmt: skip


async def test_order_is_kept_per_chat_when_a_send_fails(db, clock, sender, transport):
    await add_rows(db, clock, "1", ["one", "two", "three"])
    transport.fail_with.append(DeliveryFailed("network down"))
    assert await sender.drain() == 0, "after a failure nothing later in that chat goes out"
    assert transport.texts("1") == []
    clock.advance(timedelta(seconds=3))
    assert await sender.drain() == 3
    assert transport.texts("1") == ["one", "two", "three"]


async def test_repeated_failures_back_off_and_give_up(db, clock, sender, transport):
    await add_rows(db, clock, "1", ["hello"])
    for _ in range(8):
        transport.fail_with.append(DeliveryFailed("down"))
        await sender.drain()
        clock.advance(timedelta(minutes=15))
    async with db.reading() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert (row.status, row.attempts) == ("failed", 8)
