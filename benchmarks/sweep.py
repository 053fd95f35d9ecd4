"""The evening sweep: N enrolled participants all due at once (a daily diary prompt each).

Run as its own process so its peak RSS is the memory of a process holding N participants:

    python -m benchmarks.sweep --participants 100000      # prints one JSON line
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import active_participants, fresh_database
from bot.bootstrap import conversation_service
from bot.clock import FakeClock
from bot.content.loader import load_programme
from bot.features import build_engine
from bot.storage.rows import PARTICIPANTS
from scheduler.sweep_pool import default_workers


class MemorySampler:
    """Peak memory of this process and its tick workers together, sampled every 0.5 s and at the end from /proc (reading smaps costs the kernel about 5 ms for the three processes; more often, the sampling itself would slow the sweep it measures).

    RSS summed over the processes counts the pages a forked worker still shares with its parent once
    per process (an upper bound); PSS splits shared pages between the processes that share them (the
    memory the machine really gives them). Both are kept; ``peak_rss_mb`` is the upper bound.
    """

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids, self.rss, self.pss = pids, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def _sample(self) -> None:
        rss = pss = 0.0
        for pid in [os.getpid(), *self.pids()]:
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:  # a worker that just exited; or not Linux
                continue
            fields = {line.split(":")[0]: line.split()[1] for line in text.splitlines()[1:]}
            rss, pss = rss + int(fields.get("Rss", 0)) / 1024, pss + int(fields.get("Pss", 0)) / 1024
        self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)


async def measure(participants: int, url: str | None = None, workers: int | None = None) -> dict[str, float]:
    programme = load_programme(Path("content"))
    engine = build_engine(programme)
    db = await fresh_database(url)
    for first in range(1, participants + 1, 10_000):  # seeded in slices: the seed is not what we measure
        rows, due = active_participants(programme, first, min(first + 9_999, participants), "bench")
        await db.run_write(lambda conn, rows=rows: conn.execute(PARTICIPANTS.insert(), rows))
    clock = FakeClock(due)
    workers = default_workers() if workers is None else workers
    service = conversation_service(db, engine, clock, timezone="Europe/Stockholm", language="en", sweep_workers=workers)
    service.sweeper.pool.start()  # as ``icbt run`` does at start-up
    try:
        with MemorySampler(service.sweeper.pool.pids) as memory:
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
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, reaped by ``close``
    assert ticked == participants, (ticked, participants)
    return {
        "participants": participants,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "workers_cpu_seconds": children.ru_utime + children.ru_stime,
        "messages": messages or 0,
        "workers": workers,
        # this process and its workers: RSS summed (an upper bound) and PSS (shared pages split)
        "peak_rss_mb": max(memory.rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_pss_mb": memory.pss,
        "main_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, help="tick processes (default: one per core)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.participants, args.database_url, args.workers))))
