"""A process that draws allocations: ``python -m tests.support.allocating DB_URL SEED PID…``.

Several of these at once against one SQLite file show that allocation is serialised across processes
(``BEGIN IMMEDIATE`` and the busy timeout), not only across tasks of one process. Prints ``drawn N``
when every call has returned, and exits 1 with the error on the first failed call.
"""

from __future__ import annotations

import asyncio
import sys

from bot.clock import SystemClock
from bot.content.loader import load_programme
from bot.storage.database import Database
from bot.trial.service import TrialService
from tests.support.processes import ROOT


async def main(url: str, seed: str, pids: list[int]) -> None:
    db = Database(url)
    trial = TrialService(db, load_programme(ROOT / "content"), SystemClock(), seed=seed.encode(),
                         staff_target=("test", "staff"), wake_sender=lambda: None)  # fmt: skip
    try:
        await asyncio.gather(*(trial.allocate(pid) for pid in pids))
    finally:
        await db.dispose()
    print(f"drawn {len(pids)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]))
