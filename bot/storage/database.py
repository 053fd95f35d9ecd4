"""Database engine, unit of work and migrations.

One ``Database`` per process. ``transaction()`` is the unit of work: it commits when the block ends
normally and rolls back on any exception. On SQLite there is one writer at a time, so transactions
are serialised by an asyncio lock instead of failing with "database is locked".

``run_write(fn)`` is the hot path's transaction: ``fn`` gets a sync ``Connection`` and runs whole in
one hop — on SQLite in the one writer thread over the stdlib driver (``BEGIN IMMEDIATE``, under the
same asyncio lock as ``transaction()``), on PostgreSQL inside ``run_sync`` over asyncpg, where row
locks (``SELECT … FOR UPDATE``) order it against other writers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import StorageUnavailable
from bot.storage.outage import Outage, is_outage, missing_schema
from bot.storage.sweeplock import SweepLock

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


# JSON columns (participant positions, outbox payloads) are read and written for every event and
# every participant a sweep touches: orjson is several times faster than the stdlib both ways. Its
# text is compact UTF-8; code that compares stored text (the outbox purge) builds its constant with
# ``dumps`` so the two always agree.
def _loads(value: Any) -> Any:
    # SQLite's numeric affinity hands a JSON number back as a number already (a stored answer of 1).
    return value if isinstance(value, int | float) else orjson.loads(value)


def dumps(value: Any) -> str:
    """How every JSON column is stored (the text the database holds)."""
    return orjson.dumps(value).decode()


JSON_CODEC: dict[str, Any] = {"json_deserializer": _loads, "json_serializer": dumps}
T = TypeVar("T")


class Database:
    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # hide_parameters: a failing statement's log line and exception never carry a participant's words.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True, **JSON_CODEC}
        if self.is_sqlite:
            _ensure_parent(url)
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        self.sweep_lock = SweepLock(self)
        self.outage = Outage()

    async def run_write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one transaction in one hop; commit when it returns, roll back if it raises.

        An outage is logged once when it starts and once when it ends (``bot/storage/outage.py``); a
        database found without our tables (dropped and recreated) is migrated, then ``fn`` runs again."""
        try:
            result = await self._run_write(fn)
        except Exception as exc:
            if not missing_schema(exc):
                if is_outage(exc):
                    self.outage.failed(exc)
                raise
            log.error("the database has no icbt tables (created anew?): migrating it now")
            await self.upgrade()
            result = await self._run_write(fn)
        self.outage.ok()
        return result

    async def _run_write(self, fn: Callable[[Connection], T]) -> T:
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                return await conn.run_sync(fn)
        async with self._write_lock:
            return await asyncio.get_running_loop().run_in_executor(self._writer_thread(), self._sync_write, fn)

    def _writer_thread(self) -> ThreadPoolExecutor:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="icbt-sqlite-writer")
        return self._thread

    def _sync_write(self, fn: Callable[[Connection], T]) -> T:
        if self._sync is None:
            self._sync = _sync_sqlite_engine(self.url)
        with self._sync.begin() as conn:
            return fn(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The unit of work: commit at the end of the block, roll back on any exception."""
        if self._write_lock is not None:
            async with self._write_lock, self.sessions() as session, session.begin():
                yield session
        else:
            async with self.sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def check(self) -> None:
        """Fail loudly (``StorageUnavailable``) when the database cannot be reached."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, OperationalError, DBAPIError) as exc:
            raise StorageUnavailable(
                f"database unreachable at {_safe_url(self.url)}: {exc.__class__.__name__}: {exc}"
            ) from None

    async def upgrade(self) -> None:
        """Apply Alembic migrations up to head (idempotent; run on every start)."""
        await self.check()
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)

    async def vacuum(self, tables: tuple[str, ...] = ()) -> None:
        """Rewrite storage so deleted rows leave no readable bytes behind (after an erasure).

        SQLite: ``VACUUM`` rebuilds the file, then the WAL is checkpointed and truncated. PostgreSQL:
        ``VACUUM`` of ``tables`` frees the dead rows' space for reuse (see docs/trial.md for what that
        does and does not guarantee).
        """
        if self._write_lock is not None:
            async with self._write_lock, self.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM")
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                await conn.exec_driver_sql(f'VACUUM "{table}"')

    async def dispose(self) -> None:
        await self.sweep_lock.release()
        if self._thread is not None:
            if self._sync is not None:
                await asyncio.get_running_loop().run_in_executor(self._thread, self._sync.dispose)
            self._thread.shutdown(wait=True)
            self._thread, self._sync = None, None
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sync_sqlite_engine(url: str) -> Engine:
    """The stdlib ``sqlite3`` driver, used only from the writer thread.

    Its own implicit transactions are switched off and each transaction opens with ``BEGIN
    IMMEDIATE``: the reads of an event happen under the write lock, so another process writing the
    same file (the CLI) waits on ``busy_timeout`` instead of interleaving.
    """
    engine = create_engine(url.replace("+aiosqlite", ""), connect_args={"check_same_thread": False},
                           hide_parameters=True, **JSON_CODEC)  # fmt: skip

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        _sqlite_pragmas(dbapi_connection, record)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ensure_parent(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _safe_url(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
