"""Benchmark: inbound events through the service (engine + one transaction each) and the sender.

    ./dev bench                       # SQLite file in a temp dir, 200 participants x 25 events
    ./dev bench --participants 500 --database-url postgresql+asyncpg://postgres@127.0.0.1/test

Prints throughput, p50/p99 latency per event at saturation (all participants typing at once, each
chat in order), the sender's drain rate, and peak memory. Record results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.content.loader import load_programme
from bot.engine import Engine, Inbound
from bot.service import ConversationService
from bot.storage.database import Database
from bot.storage.metadata import METADATA
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender


class NullTransport:
    def __init__(self) -> None:
        self.last: dict[str, dict[str, Any]] = {}
        self.count = 0

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        self.last[chat_id] = payload
        self.count += 1
        return str(self.count)


async def participant(
    service: ConversationService, chat: str, events: int, latencies: list[float], seen: dict[str, dict[str, Any]]
) -> None:
    """One participant: /start, then presses the first button of its last message (or types) `events` times."""
    seq = 0

    async def send(inbound: Inbound) -> None:
        nonlocal seq
        seq += 1
        started = time.perf_counter()
        await service.handle("bench", chat, f"{chat}:{seq}", inbound)
        latencies.append(time.perf_counter() - started)

    await send(Inbound(kind="command", text="start"))
    for _ in range(events - 1):
        payload = seen.get(chat, {})
        buttons = [b["data"] for row in payload.get("buttons", []) for b in row]
        if buttons:
            await send(Inbound(kind="choice", text=buttons[0]))
        else:
            await send(Inbound(kind="text", text="5"))


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
    db = Database(url)
    if not db.is_sqlite:
        async with db.engine.begin() as conn:
            await conn.run_sync(METADATA.drop_all)
            from sqlalchemy import text

            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await db.upgrade()
    programme = load_programme(Path("content"))
    transport = NullTransport()
    sender = OutboxSender(db, {"bench": transport}, SystemClock(), Unlimited())
    service = ConversationService(db, Engine(programme), SystemClock(), timezone="Europe/Stockholm", language="en")

    # A participant sees its last message (transport.last) only once the sender has delivered it.
    async def drain_loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await sender.drain()
            await asyncio.sleep(0)

    latencies: list[float] = []
    stop = asyncio.Event()
    drainer = asyncio.create_task(drain_loop(stop))
    started = time.perf_counter()
    await asyncio.gather(
        *(
            participant(service, str(100000 + i), args.events, latencies, transport.last)
            for i in range(args.participants)
        )
    )
    elapsed = time.perf_counter() - started
    stop.set()
    await drainer
    drain_started = time.perf_counter()
    before = transport.count
    await sender.drain()
    leftover = transport.count - before
    drain_time = time.perf_counter() - drain_started

    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"database: {'SQLite (WAL)' if db.is_sqlite else 'PostgreSQL'}")
    print(f"participants: {args.participants}, events each: {args.events}, events: {len(latencies)}")
    print(f"throughput: {len(latencies) / elapsed:,.0f} events/s (saturation, {elapsed:.1f} s)")
    print(
        f"latency per event: p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms"
    )
    print(f"messages sent: {transport.count} (final drain of {leftover} in {drain_time:.2f} s)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--events", type=int, default=25)
    parser.add_argument("--database-url")
    asyncio.run(main(parser.parse_args()))
