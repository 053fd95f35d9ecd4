"""Token buckets for Telegram's limits: ~30 messages/s overall, ~1/s per private chat, 20/min per group.

Time comes from an injected monotonic source and waiting from an injected ``sleep``, so tests run
the limiter on fake time without sleeping. The console demo uses ``Unlimited``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


@dataclass
class Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    stamp: float

    def wait_time(self, now: float) -> float:
        """Refill to ``now``; return 0 and take a token, or how long until one is free."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1 - 1e-9:  # tolerate float rounding after an exact wait
            self.tokens = max(0.0, self.tokens - 1)
            return 0.0
        return (1 - self.tokens) / self.rate


class RateLimiter:
    def __init__(
        self,
        monotonic: Monotonic,
        sleep: Sleep,
        overall_per_second: float = 30.0,
        private_per_second: float = 1.0,
        group_per_minute: float = 20.0,
    ) -> None:
        self.monotonic, self.sleep = monotonic, sleep
        self._overall = self._bucket(overall_per_second, overall_per_second)
        self._private_rate, self._group_rate = private_per_second, group_per_minute / 60
        self._chats: dict[str, Bucket] = {}

    def _seconds(self) -> float:
        return self.monotonic()

    def _bucket(self, rate: float, capacity: float) -> Bucket:
        return Bucket(rate=rate, capacity=capacity, tokens=capacity, stamp=self._seconds())

    async def acquire(self, chat_id: str) -> float:
        """Wait until one message may go to ``chat_id``; returns the seconds waited."""
        is_group = chat_id.startswith("-")
        bucket = self._chats.get(chat_id)
        if bucket is None:
            rate = self._group_rate if is_group else self._private_rate
            bucket = self._chats[chat_id] = self._bucket(rate, 3.0 if is_group else 1.0)
        waited = 0.0
        for limiter in (bucket, self._overall):
            while (delay := limiter.wait_time(self._seconds())) > 0:
                waited += delay
                await self.sleep(delay)
        if len(self._chats) > 10_000:
            self._forget_idle()
        return waited

    def _forget_idle(self) -> None:
        now = self._seconds()
        self._chats = {k: b for k, b in self._chats.items() if now - b.stamp < 60}


class Unlimited:
    """No limits: for the console, where nothing is rate-limited."""

    async def acquire(self, chat_id: str) -> float:
        return 0.0
