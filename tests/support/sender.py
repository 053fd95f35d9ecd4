"""Helpers for the sender's tests: outbox rows, and a recording channel that sends in parts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from benchmarks.telegram_limits import BotApiLimits
from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.models import PRIORITY_BULK, OutboxMessage
from scheduler.sender import DeliveryRetry


class Crash(BaseException):
    """The process dies here (not an ``Exception``: nothing in the sender may catch it)."""


@dataclass
class Sent:
    chat_id: str
    text: str
    part: int
    at: float


@dataclass
class PartsTransport:
    """A channel that records every message (part) it accepted, in order.

    ``fail[(text, part)]`` is raised instead of sending (the channel refused); ``crash_after`` raises
    ``Crash`` after recording (accepted, then the process died). With ``rtt`` each request takes that
    long, and a ``judge`` refuses what a strict Bot API would, with 429 ``retry_after``.
    """

    log: list[Sent] = field(default_factory=list)
    fail: dict[tuple[str, int], Exception] = field(default_factory=dict)
    crash_after: set[tuple[str, int]] = field(default_factory=set)
    rtt: float = 0.0
    judge: BotApiLimits | None = None
    in_flight: int = 0
    most_in_flight: int = 0
    milestone: int = 0  # ``reached`` is set once this many messages were accepted
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    def parts(self, payload: dict[str, Any]) -> int:
        return int(payload.get("parts", 1))

    async def send_part(self, chat_id: str, payload: dict[str, Any], index: int) -> str:
        key = (payload["text"], index)
        if key in self.fail:
            raise self.fail.pop(key)
        now = asyncio.get_running_loop().time()
        if self.judge is not None and (wait := self.judge.admit(chat_id, now)):
            raise DeliveryRetry(wait)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.rtt:
                await asyncio.sleep(self.rtt)
            else:
                await asyncio.sleep(0)  # a real channel yields here; let other chats interleave
        finally:
            self.in_flight -= 1
        self.log.append(Sent(chat_id, payload["text"], index, now))
        if len(self.log) == self.milestone:
            self.reached.set()
        if key in self.crash_after:
            self.crash_after.discard(key)
            raise Crash(f"killed after {key} was accepted")
        return str(len(self.log))

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [s.text for s in self.log if chat_id is None or s.chat_id == chat_id]


async def add_row(
    db: Database,
    clock: Clock,
    chat: str,
    text: str,
    *,
    parts: int = 1,
    priority: int = PRIORITY_BULK,
    dedup_key: str | None = None,
    participant_id: int | None = None,
    channel: str = "test",
) -> int:
    async with db.transaction() as session:
        row = OutboxMessage(
            channel=channel, chat_id=chat, payload={"text": text, "buttons": [], "parts": parts}, status="pending",
            attempts=0, not_before=clock.now(), created_at=clock.now(), priority=priority, dedup_key=dedup_key,
            participant_id=participant_id,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return row.id


async def row(db: Database, row_id: int) -> OutboxMessage:
    async with db.reading() as session:
        found = await session.get(OutboxMessage, row_id)
        assert found is not None
        return found
