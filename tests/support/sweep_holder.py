"""A sweeping process for tests that kill it: it takes the sweep lock, forks its tick workers after
that (the worst case: they are forked while the lock's connection is open), writes what the test
needs to ``WORKDIR/holder.json`` and waits to be killed.

    python -m tests.support.sweep_holder DATABASE_URL WORKDIR
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.content.loader import load_programme
from bot.features import build_engine
from bot.storage.database import Database
from scheduler.sweep_pool import TickPool
from scheduler.sweep_ticks import Writes

ROOT = Path(__file__).resolve().parents[2]


async def main(url: str, workdir: Path) -> None:
    db = Database(url)
    assert await db.sweep_lock.acquire()
    pool = TickPool(build_engine(load_programme(ROOT / "content")), lambda effects, code: None,
                    Writes.for_dialect(db.engine.dialect), workers=2)  # fmt: skip
    pool.start()
    await asyncio.wrap_future(pool._executor.submit(int))  # type: ignore[union-attr]  # every worker forked
    info = {"pid": __import__("os").getpid(), "workers": pool.pids(), "backend": await db.sweep_lock.backend_pid()}
    (workdir / "holder.json").write_text(json.dumps(info))
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
