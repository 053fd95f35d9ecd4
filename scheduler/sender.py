"""The outbox sender: delivers what the engine committed, in order per chat, within rate limits.

A message is marked sent only after the channel accepted it, so a crash never loses one; a crash
between "accepted" and "marked" can repeat one message, never skip it. ``retry_after`` from the
channel is obeyed; a participant who blocked the bot is marked unreachable and not retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.models import OutboxMessage
from bot.storage.repository import Repository
from scheduler.ratelimit import RateLimiter, Unlimited

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class DeliveryRetry(Exception):
    """The channel asked us to wait (Telegram 429 ``retry_after``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class DeliveryRefused(Exception):
    """Permanent: the participant blocked the bot, or the chat does not exist."""


class DeliveryFailed(Exception):
    """Transient: network trouble; try again later with back-off."""


class Transport(Protocol):
    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        """Deliver one message; return the channel's message id."""
        ...


class OutboxSender:
    def __init__(
        self,
        db: Database,
        transports: Mapping[str, Transport],
        clock: Clock,
        limiter: RateLimiter | Unlimited,
    ) -> None:
        self.db, self.transports, self.clock, self.limiter = db, transports, clock, limiter
        self.wake = asyncio.Event()

    async def drain(self, batch: int = 200) -> int:
        """Send every pending message that is due; returns how many were delivered."""
        delivered = 0
        while True:
            rows = await self._pending(batch)
            if not rows:
                return delivered
            blocked: set[tuple[str, str]] = set()
            progress = 0
            for row in rows:
                chat = (row.channel, row.chat_id)
                if chat in blocked:
                    continue
                if await self._deliver(row):
                    delivered += 1
                    progress += 1
                else:
                    blocked.add(chat)  # keep this chat's order: nothing after a failed message
            if progress == 0 or len(rows) < batch:
                return delivered

    async def _pending(self, batch: int) -> list[OutboxMessage]:
        async with self.db.reading() as session:
            result = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= self.clock.now())
                .order_by(OutboxMessage.id)
                .limit(batch)
            )
            return list(result)

    async def _deliver(self, row: OutboxMessage) -> bool:
        transport = self.transports.get(row.channel)
        if transport is None:
            log.warning("no transport for channel %s; outbox %d waits", row.channel, row.id)
            return False
        await self.limiter.acquire(row.chat_id)
        try:
            message_id = await transport.send(row.chat_id, row.payload)
        except DeliveryRetry as exc:
            await self._update(row.id, attempts=1, not_before=timedelta(seconds=exc.seconds), error=str(exc))
            return False
        except DeliveryRefused as exc:
            await self._update(row.id, attempts=1, status="failed", error=str(exc), unreachable=row.participant_id)
            return True  # nothing more can be done for this message; later ones may still go
        except DeliveryFailed as exc:
            delay = timedelta(seconds=min(2 ** (row.attempts + 1), 600))
            final = row.attempts + 1 >= MAX_ATTEMPTS
            await self._update(
                row.id,
                attempts=1,
                not_before=delay,
                status="failed" if final else None,
                error=str(exc),
            )
            return False
        await self._update(row.id, status="sent", message_id=message_id)
        return True

    async def _update(
        self,
        row_id: int,
        *,
        attempts: int = 0,
        status: str | None = None,
        not_before: timedelta | None = None,
        error: str | None = None,
        message_id: str | None = None,
        unreachable: int | None = None,
    ) -> None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.attempts += attempts
            if status:
                row.status = status
            if status == "sent":
                row.sent_at, row.channel_message_id = now, message_id
            if not_before is not None:
                row.not_before = now + not_before
            if error:
                row.last_error = error[:500]
            if unreachable is not None:
                await Repository(session, lock_rows=False).mark_unreachable(unreachable, now)

    async def run(self, stop: asyncio.Event, idle_seconds: float = 5.0) -> None:
        """Drain whenever woken (an event committed) or every ``idle_seconds`` (retries)."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:  # keep the loop alive; the row stays pending and is retried
                log.exception("outbox drain failed")
            self.wake.clear()
            waiter = asyncio.ensure_future(self.wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
