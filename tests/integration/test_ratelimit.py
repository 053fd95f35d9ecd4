"""The sender's rate limiter on virtual time: Telegram's windows are never exceeded, no burst at
start-up, a waiting chat holds up no other, and interactive replies get the next slot first."""

from __future__ import annotations

import asyncio
import itertools
import random

from benchmarks.telegram_limits import BotApiLimits
from scheduler.ratelimit import Limits, RateLimiter
from tests.support.virtual_time import elapse, now, run_virtual


def limiter() -> RateLimiter:
    return RateLimiter(now, elapse)


def most_in_any_window(times: list[float], width: float) -> int:
    """The largest number of ``times`` inside any window (t - width, t]."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - width:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_no_burst_at_start_and_never_more_than_30_in_any_second():
    async def main() -> list[float]:
        rl, times = limiter(), []

        async def one(chat: int) -> None:
            await rl.acquire(str(chat))
            times.append(now())

        await asyncio.gather(*(one(chat) for chat in range(300)))
        return times

    times = run_virtual(main)
    assert len([t for t in times if t < 1.0]) <= 30, "the bucket does not start full"
    assert most_in_any_window(times, 1.0) <= 30
    assert 300 / max(times) >= 28.5, "and the pace is close to the limit"
    judge = BotApiLimits()
    assert [judge.admit(str(i), t) for i, t in enumerate(sorted(times))].count(0) == 300


def test_private_chat_short_burst_then_one_a_second_within_the_bot_api_bucket():
    async def main() -> list[float]:
        rl, times = limiter(), []
        for _ in range(8):
            await rl.acquire("42")
            times.append(now())
        return times

    times = run_virtual(main)
    assert times[1] < 0.05, "a short burst of two (spaced only by the overall pace)"
    assert [round(b - a, 3) for a, b in itertools.pairwise(times[2:])] == [1.0] * 5
    judge = BotApiLimits()
    assert all(judge.admit("42", t) == 0 for t in times)


def test_group_never_more_than_20_in_any_minute():
    async def main() -> list[float]:
        rl, times = limiter(), []
        for _ in range(45):
            await rl.acquire("-100500")
            times.append(now())
        return times

    times = run_virtual(main)
    assert most_in_any_window(times, 60.0) <= 20
    judge = BotApiLimits()
    assert all(judge.admit("-100500", t) == 0 for t in times)


def test_a_waiting_chat_does_not_hold_up_another():
    async def main() -> dict[str, float]:
        rl, done = limiter(), {}

        async def chat_a() -> None:
            for i in range(4):
                await rl.acquire("1")
                done[f"a{i}"] = now()

        async def chat_b() -> None:
            await elapse(0.5)
            await rl.acquire("2")
            done["b"] = now()

        await asyncio.gather(chat_a(), chat_b())
        return done

    done = run_virtual(main)
    assert done["a2"] >= 0.999, "chat 1 waits for its own bucket"
    assert done["b"] < 0.6, "chat 2 goes at once while chat 1 waits"


def test_interactive_replies_get_the_next_slot_before_queued_bulk():
    async def main() -> list[str]:
        rl = RateLimiter(now, elapse, Limits(overall_per_window=10, overall_min_gap=0.1))
        order: list[str] = []

        async def send(name: str, chat: str, priority: int, after: float = 0.0) -> None:
            await elapse(after)
            await rl.acquire(chat, priority)
            order.append(name)

        bulk = [send(f"bulk{i}", str(100 + i), 1) for i in range(10)]
        await asyncio.gather(*bulk, send("reply", "7", 0, after=0.25))
        return order

    order = run_virtual(main)
    assert order.index("reply") <= 4, f"the reply jumps the bulk queue: {order}"
    assert order[:3] == ["bulk0", "bulk1", "bulk2"], "slots already given are not taken back"


def test_a_cancelled_waiter_gives_its_slot_to_the_next():
    async def main() -> list[float]:
        rl, times = limiter(), []

        async def one(chat: int) -> None:
            await rl.acquire(str(chat))
            times.append(now())

        tasks = [asyncio.create_task(one(chat)) for chat in range(10)]
        await elapse(0.01)
        tasks[5].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return times

    times = run_virtual(main)
    assert len(times) == 9
    assert max(times) < 8 / 40 + 1e-6, "no slot is lost to the cancelled waiter"


def test_uneven_network_delays_never_put_more_than_30_in_a_second_of_telegram():
    """Each request reaches the Bot API 0–300 ms after it is let go (a busy machine, a slow network):
    a message counts until a second after its answer, so Telegram's window never overfills."""

    async def main() -> tuple[BotApiLimits, float]:
        rl, judge, rng = limiter(), BotApiLimits(), random.Random(7)

        async def one(chat: int) -> None:
            async with rl.slot(str(chat)):
                await elapse(rng.uniform(0.0, 0.3))  # on its way
                judge.admit(str(chat), now())
                await elapse(0.05)  # the answer comes back

        await asyncio.gather(*(one(chat) for chat in range(400)))
        return judge, now()

    judge, took = run_virtual(main)
    assert judge.refused == 0, f"{judge.refused} × 429"
    assert 400 / took > 22, "still close to the limit"
