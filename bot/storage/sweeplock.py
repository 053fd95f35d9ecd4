"""One sweeper at a time: a PostgreSQL session-level advisory lock held by the sweeping process.

Several webhook workers may share one PostgreSQL; each runs the sweep timer, but only the process
holding this lock sweeps. The lock lives as long as its connection: when that process dies, its
connection closes, PostgreSQL releases the lock, and the next worker's sweep takes it over. The
connection is in autocommit mode, so holding the lock never holds a transaction open. SQLite is one
process, so there the lock is always "held".
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    from bot.storage.database import Database

log = logging.getLogger(__name__)

# An arbitrary 64-bit key, the same in every process of this application ("icbt sweep").
SWEEP_LOCK_KEY = 0x1CB7_5EE9
LOST = (DBAPIError, InterfaceError, OperationalError, OSError)


class SweepLock:
    def __init__(self, db: Database, key: int = SWEEP_LOCK_KEY) -> None:
        self.db, self.key = db, key
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self.db.is_sqlite or self._conn is not None

    async def acquire(self) -> bool:
        """True when this process may sweep now: it holds the lock, or has just taken it."""
        if self.db.is_sqlite:
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except LOST:
                log.warning("sweep lock connection lost; trying to take the lock again")
                await self._forget()
        conn = await self.db.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        log.info("this process now runs the sweeps (advisory lock %d)", self.key)
        self._conn = conn
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await conn.close()
        except LOST:
            await conn.invalidate()  # the connection is gone, and with it the lock

    async def backend_pid(self) -> int | None:
        """The PostgreSQL backend holding the lock for this process (for tests and diagnostics)."""
        if self._conn is None:
            return None
        return await self._conn.scalar(text("SELECT pg_backend_pid()"))

    async def _forget(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(*LOST):
                await conn.invalidate()
