"""The sweep lock dies with its holder (real processes on PostgreSQL): a sweeping process killed with
SIGKILL leaves no tick worker behind and no connection open, so another process takes the lock over
at its next sweep; and the relay's timed work runs in the lock holder only."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.engine.model import RelayRecord
from bot.storage.database import Database
from tests.conftest import PG_URL
from tests.support.processes import kill, start, tick, until
from tests.support.relay import active_participant, insert_item, relay_config, relay_service

pytestmark = pytest.mark.skipif(PG_URL is None, reason="the sweep lock is PostgreSQL's (ICBT_TEST_DATABASE_URL)")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected


async def test_a_killed_sweeper_leaves_no_worker_and_its_lock_is_taken_over(tmp_path, db):
    if db.is_sqlite:
        pytest.skip("SQLite has no sweep lock: it is one process")
    holder = await start("tests.support.sweep_holder", PG_URL, str(tmp_path))
    await until(lambda: (tmp_path / "holder.json").exists(), holder)
    info = json.loads((tmp_path / "holder.json").read_text())
    assert len(info["workers"]) == 2 and all(_alive(pid) for pid in info["workers"])
    other = Database(PG_URL)
    try:
        assert not await other.sweep_lock.acquire()  # held by the sweeper
        await kill(holder)
        killed_at = time.monotonic()
        await until(lambda: not any(_alive(pid) for pid in info["workers"]), timeout=10)
        assert await _taken_over(other, timeout=5.0)  # well within one sweep interval (60 s by default)
        assert time.monotonic() - killed_at < 5.0
        async with other.engine.connect() as conn:
            backends = await conn.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": info["backend"]}
            )
        assert backends == 0
    finally:
        for pid in info["workers"]:
            if _alive(pid):
                os.kill(pid, 9)
        await other.dispose()


async def _taken_over(db: Database, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await db.sweep_lock.acquire():
            return True
        await tick()
    return False


async def test_the_relays_timed_work_runs_in_the_lock_holder_only(db, clock, programme, service):
    if db.is_sqlite:
        pytest.skip("SQLite has no sweep lock: it is one process")
    second = Database(PG_URL)
    try:
        first_relay = relay_service(db, clock, programme, relay_config())
        second_relay = relay_service(second, clock, programme, relay_config())
        p = await active_participant(service)
        await insert_item(db, p, RelayRecord(source="safety:form", text="Risk words", kind="safety"), clock.now())
        await first_relay.process_pending()
        clock.advance(timedelta(minutes=15))
        assert await db.sweep_lock.acquire()

        async def repeats() -> int:
            async with db.reading() as session:
                query = text("SELECT count(*) FROM audit_log WHERE action = 'safety_alert_repeated'")
                return await session.scalar(query)

        await second_relay.sweep()  # not the lock holder: the URGENT repeat is not its to post
        assert await repeats() == 0
        await first_relay.sweep()
        await second_relay.sweep()
        assert await repeats() == 1
    finally:
        await second.dispose()
