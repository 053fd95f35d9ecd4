"""Telegram's limits, kept by the sender: about 30 messages/s per bot, about 1/s per private chat with
short bursts, 20 per minute per group.

The Bot API counts messages in windows, so each limit is chosen to stay inside its window (a token
bucket of capacity C refilled at r per second lets through at most C + r·W messages in any W seconds):

- overall: not a bucket but a rolling window (``Pacer``): a message counts from the moment it is let
  go until one second after its answer, at most 30 count at once, never two closer than 1/40 s; so
  there is no burst at start-up and no second of Telegram's holds more than 30, however unevenly
  our requests reach it (28.6/s sustained at a 50 ms round trip);
- a private chat: C = 2, r = 1/s → a short burst of two, then one a second; one token of the Bot API's
  burst of three is left free for network jitter;
- a group: C = 1, r = 19/min → never more than 20 in any minute.

The overall slots go to the most urgent waiter first (interactive replies before bulk reminders).
Time comes from an injected monotonic source and waiting from an injected ``sleep``, so tests run the
limiter on fake time. The console demo uses ``Unlimited``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


@dataclass(frozen=True)
class Limits:
    """Rates the sender keeps; defaults sit just under the Bot API's published limits."""

    overall_per_window: int = 30
    overall_window: float = 1.0  # seconds after each request's answer (see ``Pacer``)
    overall_min_gap: float = 1 / 40
    private_per_second: float = 1.0
    private_burst: float = 2.0
    group_per_minute: float = 19.0
    group_burst: float = 1.0


@dataclass
class Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    stamp: float

    def ready_in(self, now: float) -> float:
        """Refill to ``now``; 0 when a token is free, else the seconds until one is."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)
        if self.tokens >= 1 - 1e-9:  # tolerate float rounding after an exact wait
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens = max(0.0, self.tokens - 1)


@dataclass
class Pacer:
    """The overall limit: at most ``per_window`` messages in any ``window`` seconds, none closer than
    ``min_gap``; the most urgent waiter (lowest priority number) gets the next slot.

    A message occupies the window from the moment it is let go until ``window`` seconds after its
    request was answered (``release``). Telegram sees a message at some moment between those two, so
    however late our process sends or reads, no second of Telegram's can hold more than
    ``per_window`` of ours. A rolling window, not a bucket: it never starts full (after an idle spell
    messages go ``min_gap`` apart, not all at once), and slots given late because the process was
    busy are made up (up to ``catch_up`` seconds' worth) without the window ever holding more. Sustained rate: per_window / (window +
    round trip), 28.6/s at a 50 ms round trip.
    """

    per_window: int
    window: float
    min_gap: float
    monotonic: Monotonic
    sleep: Sleep
    _in_flight: int = 0
    _ends: deque[float] = field(default_factory=deque)  # answered: when each leaves the window
    catch_up: float = 0.1
    _next: float = float("-inf")
    _waiters: list[tuple[int, int, asyncio.Future[None]]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _driver: asyncio.Task[None] | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def ready_in(self, now: float) -> float:
        """0 when a slot is free at ``now``, the seconds until one is, or ``inf`` until a release."""
        while self._ends and self._ends[0] <= now:
            self._ends.popleft()
        wait = max(0.0, self._next - now)
        if self._in_flight + len(self._ends) >= self.per_window:
            wait = max(wait, self._ends[0] - now) if self._ends else float("inf")
        return wait

    def _grant(self, now: float, queued: bool) -> None:
        # With a queue, the next slot follows this one's place on the grid, not the moment we got
        # round to it: a process woken late makes up to ``catch_up`` seconds of slots at once (the
        # window still holds). Without one (after an idle spell) the grid starts afresh: no burst.
        self._in_flight += 1
        self._next = (max(self._next, now - self.catch_up) if queued else now) + self.min_gap

    def release(self) -> None:
        """The request of a granted slot was answered (or failed): it leaves the window later."""
        self._in_flight -= 1
        self._ends.append(self.monotonic() + self.window + 1e-6)  # strictly past the window's edge
        self._released.set()

    async def acquire(self, priority: int = 0) -> None:
        """Wait for a slot; the caller must ``release`` it once the request is answered."""
        now = self.monotonic()
        if not self._waiters and self.ready_in(now) == 0:
            self._grant(now, queued=False)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        await future

    async def _drive(self) -> None:
        while self._waiters:
            if (delay := self.ready_in(self.monotonic())) > 0:
                await self._pause(delay)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if future.done():  # its task was cancelled while waiting
                continue
            self._grant(self.monotonic(), queued=True)
            future.set_result(None)

    async def _pause(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or until a release frees a slot, whichever comes first."""
        self._released.clear()
        released = asyncio.ensure_future(self._released.wait())
        waits = {released} if delay == float("inf") else {released, asyncio.ensure_future(self.sleep(delay))}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()


class RateLimiter:
    """Per-chat buckets and the overall pacer; ``acquire`` waits for both, the chat first."""

    def __init__(self, monotonic: Monotonic, sleep: Sleep, limits: Limits | None = None) -> None:
        self.monotonic, self.sleep = monotonic, sleep
        self.limits = limits or Limits()
        lim = self.limits
        self.pacer = Pacer(lim.overall_per_window, lim.overall_window, lim.overall_min_gap, monotonic, sleep)
        self._chats: dict[str, Bucket] = {}

    def _chat(self, chat_id: str) -> Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            lim = self.limits
            is_group = chat_id.startswith("-")
            rate = lim.group_per_minute / 60 if is_group else lim.private_per_second
            capacity = lim.group_burst if is_group else lim.private_burst
            bucket = Bucket(rate=rate, capacity=capacity, tokens=capacity, stamp=self.monotonic())
            self._chats[chat_id] = bucket
            if len(self._chats) > 10_000:
                self._forget_idle()
        return bucket

    async def acquire(self, chat_id: str, priority: int = 0) -> float:
        """Wait until one message may go to ``chat_id`` and count it as sent at once; returns the
        seconds waited. ``slot`` is the precise form for a request that takes time."""
        waited = await self._take(chat_id, priority)
        self.pacer.release()
        return waited

    @asynccontextmanager
    async def slot(self, chat_id: str, priority: int = 0) -> AsyncIterator[None]:
        """Hold one message's place for the time of its request (the block); see ``Pacer``."""
        await self._take(chat_id, priority)
        try:
            yield
        finally:
            self.pacer.release()

    async def _take(self, chat_id: str, priority: int) -> float:
        """Wait for the chat's own bucket, then for an overall slot, and take both.

        Waiting for one chat holds nothing that another chat needs: the overall slot is asked for
        only once the chat's own bucket has a token, and that token is taken when the slot is given,
        so both are spent at the moment of sending (a long wait for the slot cannot bunch one chat's
        messages). The sender has one message per chat in flight, so nobody takes the token meanwhile.
        """
        start = self.monotonic()
        bucket = self._chat(chat_id)
        while True:
            while (delay := bucket.ready_in(self.monotonic())) > 0:
                await self.sleep(delay)
            await self.pacer.acquire(priority)
            if bucket.ready_in(self.monotonic()) == 0:
                bucket.take()
                return self.monotonic() - start
            self.pacer.release()  # someone else took this chat's token meanwhile: give the slot back

    def _forget_idle(self) -> None:
        """Drop buckets that are full again (idle for long enough); they would be rebuilt full."""
        now = self.monotonic()
        self._chats = {k: b for k, b in self._chats.items() if b.ready_in(now) > 0 or b.tokens < b.capacity}


class Unlimited:
    """No limits: for the console, where nothing is rate-limited."""

    async def acquire(self, chat_id: str, priority: int = 0) -> float:
        return 0.0

    @asynccontextmanager
    async def slot(self, chat_id: str, priority: int = 0) -> AsyncIterator[None]:
        yield
