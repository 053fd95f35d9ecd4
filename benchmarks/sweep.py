"""The evening sweep: N enrolled participants all due at once (a daily diary prompt each).

Run as its own process so its peak RSS is the memory of a process holding N participants:

    python -m benchmarks.sweep --participants 100000      # prints one JSON line
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

from benchmarks.common import START, conversation, fresh_database
from bot.clock import FakeClock
from bot.content.loader import load_programme
from bot.engine import Engine, ParticipantState
from bot.service import ConversationService
from bot.storage.rows import PARTICIPANTS
from bot.sweep_pool import default_workers


async def measure(participants: int, url: str | None = None, workers: int | None = None) -> dict[str, float]:
    programme = load_programme(Path("content"))
    engine = Engine(programme)
    state = ParticipantState(code="P-X", language="en", timezone="Europe/Stockholm")
    for inbound in conversation(programme, 200):  # onboarding, consent and baseline: now active
        engine.handle(state, inbound, START, ())
    due = engine.next_due(state, START)
    assert due is not None and state.status == "active"
    position = state.position_json()
    db = await fresh_database(url)
    for first in range(1, participants + 1, 10_000):  # seeded in slices: the seed is not what we measure
        rows = [
            {"code": f"P-{i:06d}", "channel": "bench", "chat_id": str(i), "language": "en",
             "timezone": "Europe/Stockholm", "status": "active", "paused": False, "unreachable": False,
             "start_date": state.start_date, "position": position, "next_due_at": due, "created_at": START,
             "updated_at": START}
            for i in range(first, min(first + 10_000, participants + 1))
        ]  # fmt: skip
        await db.run_write(lambda conn, rows=rows: conn.execute(PARTICIPANTS.insert(), rows))
    clock = FakeClock(due)
    workers = default_workers() if workers is None else workers
    service = ConversationService(db, engine, clock, timezone="Europe/Stockholm", language="en", sweep_workers=workers)
    service.sweeper.pool.start()  # as ``icbt run`` does at start-up
    try:
        started, cpu = time.perf_counter(), time.process_time()
        ticked = await service.tick_due()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        async with db.engine.connect() as conn:
            from sqlalchemy import func, select

            from bot.storage.rows import OUTBOX

            messages = await conn.scalar(select(func.count()).select_from(OUTBOX))
    finally:
        service.sweeper.close()
        await db.dispose()
    assert ticked == participants, (ticked, participants)
    return {
        "participants": participants,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "messages": messages or 0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, help="tick processes (default: one per core)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.participants, args.database_url, args.workers))))
