"""Telegram's limits, kept by the sender: about 30 messages/s per bot, about 1/s per private chat with
short bursts, 20 per minute per group.

The Bot API counts messages in windows, so each limit is chosen to stay inside its window (a token
bucket of capacity C refilled at r per second lets through at most C + r·W messages in any W seconds):

- overall: not a bucket but a rolling window (``Pacer``): at most 30 in any 1.05 s (28.6/s sustained),
  never two closer than 1/40 s, so there is no burst at start-up and the Bot API's second never holds
  more than 30 even when requests reach it up to 50 ms unevenly;
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


@dataclass(frozen=True)
class Limits:
    """Rates the sender keeps; defaults sit just under the Bot API's published limits."""

    overall_per_window: int = 30
    overall_window: float = 1.05  # seconds: the Bot API's second plus room for network jitter
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

    A rolling window, not a bucket: it never starts full (after an idle spell the next messages go
    ``min_gap`` apart, not all at once), and a slot given late, because the process was busy, can be
    made up at once without the window ever holding more than ``per_window``. The window is a little
    longer than the Bot API's second, to absorb the jitter between our clock and the server's.
    """

    per_window: int
    window: float
    min_gap: float
    monotonic: Monotonic
    sleep: Sleep
    _given: deque[float] = field(default_factory=deque)
    _waiters: list[tuple[int, int, asyncio.Future[None]]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _driver: asyncio.Task[None] | None = None

    def ready_in(self, now: float) -> float:
        """0 when a slot is free at ``now``, else the seconds until one is."""
        while self._given and self._given[0] <= now - self.window:
            self._given.popleft()
        wait = self._given[-1] + self.min_gap - now if self._given else 0.0
        if len(self._given) >= self.per_window:
            wait = max(wait, self._given[0] + self.window - now)
        return max(0.0, wait)

    async def acquire(self, priority: int = 0) -> None:
        now = self.monotonic()
        if not self._waiters and self.ready_in(now) == 0:
            self._given.append(now)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        if self._driver is None or self._driver.done():
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        await future

    async def _drive(self) -> None:
        while self._waiters:
            if (delay := self.ready_in(self.monotonic())) > 0:
                await self.sleep(delay)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if future.done():  # its task was cancelled while waiting
                continue
            self._given.append(self.monotonic())
            future.set_result(None)


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
        """Wait until one message may go to ``chat_id``; returns the seconds waited.

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

    def _forget_idle(self) -> None:
        """Drop buckets that are full again (idle for long enough); they would be rebuilt full."""
        now = self.monotonic()
        self._chats = {k: b for k, b in self._chats.items() if b.ready_in(now) > 0 or b.tokens < b.capacity}


class Unlimited:
    """No limits: for the console, where nothing is rate-limited."""

    async def acquire(self, chat_id: str, priority: int = 0) -> float:
        return 0.0
