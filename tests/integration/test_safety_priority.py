"""An URGENT safety alert overtakes everything waiting for the staff group: the outbox hands it out
before the group's older rows, and the rate limiter gives it the next free slot. On virtual time
(no real waiting), with the real sender, limiter and SQLite storage."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.storage.database import Database
from bot.storage.models import PRIORITY_BULK, PRIORITY_URGENT, OutboxMessage
from scheduler.ratelimit import RateLimiter
from scheduler.sender import OutboxSender
from tests.conftest import sqlite_url
from tests.support.virtual_time import elapse, now, run_virtual

STAFF = "-100200"


class TimedTransport:
    """Records when (virtual seconds) each text reached the chat."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        self.sent.append((now(), payload["text"]))
        return str(len(self.sent))


def staff_row(text: str, priority: int, at: datetime) -> OutboxMessage:
    return OutboxMessage(participant_id=None, channel="test", chat_id=STAFF, payload={"text": text, "buttons": []},
                         status="pending", attempts=0, not_before=at, created_at=at, priority=priority)  # fmt: skip


def test_an_urgent_alert_reaches_the_staff_group_within_5_seconds_while_200_relays_wait(tmp_path: Path):
    async def main() -> tuple[float, float, list[str]]:
        clock = FakeClock(datetime(2026, 1, 5, 7, 0, tzinfo=UTC))
        db = Database(sqlite_url(tmp_path))
        await db.upgrade()
        async with db.transaction() as session:
            session.add_all(staff_row(f"relay {n}", PRIORITY_BULK, clock.now()) for n in range(200))
        transport = TimedTransport()
        sender = OutboxSender(db, {"test": transport}, clock, RateLimiter(now, elapse))
        stop = asyncio.Event()
        running = asyncio.ensure_future(sender.run(stop, idle_seconds=0.5))
        await elapse(30)  # the group's limit lets a few relays out; most still wait
        async with db.transaction() as session:
            session.add(staff_row("URGENT", PRIORITY_URGENT, clock.now()))
        raised = now()
        sender.wake.set()
        while not any(text == "URGENT" for _, text in transport.sent):
            await elapse(0.25)
        stop.set()
        await running
        await db.dispose()
        arrived = next(t for t, text in transport.sent if text == "URGENT")
        return raised, arrived, [text for _, text in transport.sent]

    raised, arrived, texts = run_virtual(main)
    assert arrived - raised <= 5.0, f"URGENT took {arrived - raised:.1f} s"
    assert texts.index("URGENT") < 20, "it overtook the relays still waiting"
    assert len([t for t in texts if t.startswith("relay")]) < 200, "most relays were still queued"
