"""The outbox sender: delivers what the engine committed at Telegram's pace, in order per chat.

Each chat's oldest open row is claimed (see ``scheduler/outbox_store.py``) and sent by its own task,
so a chat that must wait (its per-chat limit, a ``retry_after``) never holds up another; at most
``max_in_flight`` requests are open at once; the overall pace gives the next slot to interactive
replies before bulk reminders. A message longer than one Bot API message goes out in parts, and the
number of parts accepted is recorded, so a retry resumes with the next part and never resends it whole.

Delivery rule for a row in flight when its process dies (applied by ``recover`` at the next start):
every row at least once, reminders as much as replies; as only a chat's oldest open row is ever
claimed, at most one message per chat can arrive twice and none is lost. A refusal from a participant's own chat (blocked the bot) marks that participant
unreachable; a refusal from any other chat (the staff group) is logged at ERROR and retried with
back-off, never dropped, and reported again at start-up by ``report_undelivered_staff``. Network
failures, 5xx and 429 are retried with back-off; a participant's row is given up after
``MAX_ATTEMPTS``, a staff row never.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from bot.clock import Clock
from bot.safety.crisis import StaffStatus
from bot.storage.database import Database
from scheduler.outbox_store import Claimed, OutboxStore, Recovery
from scheduler.ratelimit import RateLimiter, Unlimited

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # transient network failures before a row is given up
OnUnreachable = Callable[[int], Awaitable[None]]


class DeliveryRetry(Exception):
    """The channel asked us to wait (Telegram 429 ``retry_after``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class DeliveryRefused(Exception):
    """Permanent for this message. ``chat_gone``: the chat itself refuses us (403 blocked or kicked,
    400 chat not found); otherwise the message was malformed and nothing else is wrong."""

    def __init__(self, message: str, chat_gone: bool = True) -> None:
        super().__init__(message)
        self.chat_gone = chat_gone


class DeliveryFailed(Exception):
    """Transient: network trouble; try again later with back-off."""


class Transport(Protocol):
    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        """Deliver one message whole; return the channel's message id."""
        ...


@runtime_checkable
class PartedTransport(Protocol):
    """A channel whose messages may become several (Telegram: text over 4096 characters)."""

    def parts(self, payload: dict[str, Any]) -> int:
        """How many channel messages ``payload`` becomes."""
        ...

    async def send_part(self, chat_id: str, payload: dict[str, Any], index: int) -> str:
        """Deliver part ``index`` (0-based) of ``payload``; return its message id."""
        ...


def network_backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts`` after a transient failure: 2, 4, 8 … 600 s."""
    return timedelta(seconds=min(2**attempts, 600))


def refusal_backoff(attempts: int) -> timedelta:
    """Wait before retrying a message the staff group refused: 1, 2, 4, then every 5 minutes, for ever
    (each refusal is an ERROR line, so an unreachable group is in the log every few minutes)."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 300))


def default_owner() -> str:
    """A name for this sender's claims: host, process and a random part (unique per start)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxSender:
    def __init__(
        self,
        db: Database,
        transports: Mapping[str, Transport | PartedTransport],
        clock: Clock,
        limiter: RateLimiter | Unlimited,
        *,
        max_in_flight: int = 16,
        claim_batch: int = 64,
        lease: timedelta = timedelta(seconds=60),
        on_unreachable: OnUnreachable | None = None,
        owner: str | None = None,
        staff_status: StaffStatus | None = None,
    ) -> None:
        self.db, self.transports, self.clock, self.limiter = db, transports, clock, limiter
        self.store = OutboxStore(db, clock, owner or default_owner(), lease)
        self.claim_batch = claim_batch
        self.on_unreachable = on_unreachable
        self.staff_status = staff_status  # told of every refusal and delivery in the staff group
        self.wake = asyncio.Event()
        self._slots = asyncio.Semaphore(max_in_flight)

    async def recover(self, at_start: bool = True) -> Recovery:
        """Settle rows a dead sender left in flight. At start-up on SQLite (one process) every claim is
        a dead one; otherwise (``run`` does it now and then) only claims whose lease ran out."""
        recovery = await self.store.recover(every_claim=at_start and self.db.is_sqlite)
        if recovery.resent:
            log.warning("outbox rows in flight at the last stop, sent again (at most one per chat may arrive "
                        "twice): %s", recovery.resent)  # fmt: skip
        return recovery

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Send everything that is due now; return how many messages were delivered.

        Claims as rows are sendable (a finished chat's next row becomes its head) until nothing is
        due and nothing is in flight. With ``stop`` set, claims nothing more and finishes what it has.
        """
        tasks: set[asyncio.Task[bool]] = set()
        delivered = 0
        woken = asyncio.ensure_future(self.wake.wait())
        try:
            while True:
                if (stop is None or not stop.is_set()) and len(tasks) < self.claim_batch:
                    for row in await self.store.claim(self.claim_batch - len(tasks)):
                        tasks.add(asyncio.create_task(self._deliver(row), name=f"outbox-{row.id}"))
                if not tasks:
                    return delivered
                done, _ = await asyncio.wait({*tasks, woken}, return_when=asyncio.FIRST_COMPLETED)
                if woken.done():  # new rows were committed: claim them now, not after the next send
                    self.wake.clear()
                    woken = asyncio.ensure_future(self.wake.wait())
                for task in done - {woken}:
                    if task in tasks:
                        tasks.discard(task)
                        delivered += self._result(task)
        finally:
            woken.cancel()
            for task in tasks:  # only when a crash (BaseException) is on its way out
                task.cancel()

    @staticmethod
    def _result(task: asyncio.Task[bool]) -> int:
        exc = task.exception()
        if exc is None:
            return int(task.result())
        if not isinstance(exc, Exception):
            raise exc  # a crash is not ours to swallow; the row stays claimed for recovery
        log.error("outbox delivery task failed", exc_info=exc)  # the row's lease expires; recovery settles it
        return 0

    async def _deliver(self, row: Claimed) -> bool:
        """Send one row's remaining parts; record the outcome. True when it was delivered."""
        transport = self.transports.get(row.channel)
        if transport is None:
            log.error("no transport for channel %s; outbox %d waits", row.channel, row.id)
            await self.store.retry(row.id, parts_sent=row.parts_sent, delay=timedelta(minutes=5),
                                   error=f"no transport for {row.channel}", refused=False)  # fmt: skip
            return False
        total = transport.parts(row.payload) if isinstance(transport, PartedTransport) else 1
        index, message_id = row.parts_sent, ""
        try:
            while index < total:
                async with self.limiter.slot(row.chat_id, row.priority), self._slots:
                    if isinstance(transport, PartedTransport):
                        message_id = await transport.send_part(row.chat_id, row.payload, index)
                    else:
                        message_id = await transport.send(row.chat_id, row.payload)
                index += 1
                if index < total:
                    await self.store.part_sent(row.id, index)
        except DeliveryRetry as exc:
            await self.store.retry(row.id, parts_sent=index, delay=timedelta(seconds=exc.seconds),
                                   error=str(exc), refused=False)  # fmt: skip
            return False
        except DeliveryRefused as exc:
            await self._refused(row, index, exc)
            return False
        except DeliveryFailed as exc:
            await self._failed(row, index, exc)
            return False
        except Exception as exc:  # this row cannot be sent (a malformed payload, a bug): it alone stops
            log.error("outbox %d could not be sent (%s); marked failed, staff are told", row.id, type(exc).__name__)
            await self.store.fail(row.id, parts_sent=index, error=f"could not be sent: {type(exc).__name__}")
            return False
        await self.store.sent(row.id, total, message_id, then=row.payload.get("then"))
        if self.staff_status is not None:
            self.staff_status.seen(row.chat_id, delivered=True)
        return True

    async def _failed(self, row: Claimed, index: int, exc: DeliveryFailed) -> None:
        """A participant's message is given up after ``MAX_ATTEMPTS`` (staff are told by the relay); a
        staff message (no participant: the staff group, the on-call contact) never is: a question or
        an URGENT alert that never arrives is worse than a late one. It says so at ERROR once."""
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS and row.participant_id is not None:
            log.error("outbox %d given up after %d attempts: %s", row.id, attempts, exc)
            await self.store.fail(row.id, parts_sent=index, error=str(exc))
            return
        if attempts == MAX_ATTEMPTS:
            log.error("staff message (outbox %d) still undelivered after %d attempts (%s); retrying every %s",
                      row.id, attempts, exc, network_backoff(attempts))  # fmt: skip
        await self.store.retry(row.id, parts_sent=index, delay=network_backoff(attempts), error=str(exc),
                               refused=False)  # fmt: skip

    async def _refused(self, row: Claimed, index: int, exc: DeliveryRefused) -> None:
        error = str(exc)
        if exc.chat_gone and await self.store.is_participant_chat(row):
            assert row.participant_id is not None
            log.warning("participant %d cannot be reached (%s); marked unreachable", row.participant_id, error)
            if await self.store.participant_gone(row, error) and self.on_unreachable is not None:
                try:
                    await self.on_unreachable(row.participant_id)
                except Exception:
                    log.exception("on_unreachable failed for participant %d", row.participant_id)
        elif exc.chat_gone:
            if self.staff_status is not None:
                self.staff_status.seen(row.chat_id, delivered=False)
            delay = refusal_backoff(row.attempts + 1)
            log.error("chat %s refused outbox %d (%s); not dropped, retrying in %s", row.chat_id, row.id, error, delay)
            await self.store.retry(row.id, parts_sent=index, delay=delay, error=error, refused=True)
        else:
            log.error("outbox %d rejected by the Bot API (%s); not retried", row.id, error)
            await self.store.fail(row.id, parts_sent=index, error=error)

    async def run(self, stop: asyncio.Event, idle_seconds: float = 5.0) -> None:
        """Drain whenever woken (an event committed), when a retry falls due, or every ``idle_seconds``;
        settle expired claims of dead senders once per half lease. Stops claiming once ``stop`` is set
        and returns after the messages already claimed are through."""
        recovered_at: datetime | None = None
        while not stop.is_set():
            self.wake.clear()
            try:
                if recovered_at is None or self.clock.now() - recovered_at >= self.store.lease / 2:
                    recovered_at = self.clock.now()
                    await self.recover(at_start=False)
                await self.drain(stop)
                timeout = await self._idle_timeout(idle_seconds)
            except Exception:  # keep the loop alive; rows stay claimed or pending and are retried
                log.exception("outbox drain failed")
                timeout = idle_seconds
            waiter = asyncio.ensure_future(self.wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def _idle_timeout(self, idle_seconds: float) -> float:
        due = await self.store.next_due()
        if due is None:
            return idle_seconds
        return min(idle_seconds, max(0.05, (due - self.clock.now()).total_seconds()))


async def report_undelivered_staff(db: Database, clock: Clock) -> int:
    """At start-up: log at ERROR how many messages the staff group refused and still wait, since when."""
    count, since = await OutboxStore(db, clock, owner="report", lease=timedelta()).undelivered_staff()
    if count:
        log.error(
            "%d staff messages undelivered since %s: the staff group refuses the bot (removed, or not an "
            "admin?); they are retried with back-off",
            count, _stamp(since),
        )  # fmt: skip
    return count


def _stamp(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "an unknown time"
