"""Inbound events through ``ConversationService.handle``: closed loop and open loop.

Closed loop: many participants type at once, each waiting for its previous event (per-chat order),
so the figure is the most events per second the service commits. Open loop: events arrive at a fixed
rate whatever happens (as Telegram delivers them), and the latency of each is measured from the
moment it arrived, so a service that falls behind shows it in p99 instead of hiding it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from benchmarks.common import conversation, fresh_database
from bot.bootstrap import conversation_service
from bot.clock import SystemClock
from bot.content.loader import load_programme
from bot.conversation.service import ConversationService
from bot.engine import Inbound
from bot.features import build_engine


def _service(db, programme) -> ConversationService:  # type: ignore[no-untyped-def]
    return conversation_service(db, build_engine(programme), SystemClock(), timezone="Europe/Stockholm", language="en")


async def closed_loop(url: str | None, participants: int, events: int) -> dict[str, float]:
    programme = load_programme(Path("content"))
    script = conversation(programme, events)
    db = await fresh_database(url)
    service = _service(db, programme)

    async def one(chat: str) -> None:
        for seq, inbound in enumerate(script):
            await service.handle("bench", chat, f"{chat}:{seq}", inbound)

    try:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(str(100000 + i)) for i in range(participants)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await db.dispose()
    total = participants * len(script)
    return {"events": total, "events_per_s": total / elapsed, "batches": service.writer.batches,
            "cpu_ms_per_event": cpu / total * 1000}  # fmt: skip


async def open_loop(url: str | None, rate: float, seconds: float) -> dict[str, float]:
    programme = load_programme(Path("content"))
    script = conversation(programme, 40)
    db = await fresh_database(url)
    service = _service(db, programme)
    chats = int(rate)  # each chat writes about once a second
    locks = [asyncio.Lock() for _ in range(chats)]
    position = [0] * chats
    latencies: list[float] = []

    async def arrive(i: int, due: float) -> None:
        chat = i % chats
        async with locks[chat]:  # per-chat order, as the Telegram application keeps it
            seq = position[chat]
            position[chat] += 1
            inbound: Inbound = script[seq % len(script)]
            await service.handle("bench", str(200000 + chat), f"{chat}:{seq}", inbound)
        latencies.append(time.perf_counter() - due)

    try:
        tasks = []
        start = time.perf_counter() + 0.05
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # the arrival schedule (a benchmark, not a test)
            tasks.append(asyncio.create_task(arrive(i, due)))
        await asyncio.gather(*tasks)
        achieved = len(latencies) / (time.perf_counter() - start)
    finally:
        await db.dispose()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000
    p50 = latencies[len(latencies) // 2] * 1000
    return {"offered_per_s": rate, "achieved_per_s": achieved, "p50_ms": p50, "p99_ms": p99}
