"""Shared fixtures: the real content, a fake clock, and databases.

Storage tests run on SQLite always and on PostgreSQL when ``ICBT_TEST_DATABASE_URL`` is set. Asked for
PostgreSQL and unable to reach it, they fail: a skipped database test would hide a broken CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import conversation_service
from bot.clock import FakeClock
from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.conversation.service import ConversationService
from bot.features import build_engine
from bot.storage.database import Database
from bot.storage.metadata import METADATA
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.support import Participant, RecordingTransport, finish_current_module

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
PG_URL = os.environ.get("ICBT_TEST_DATABASE_URL")
DB_KINDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
# Tests run in parallel worker processes (pytest-xdist, ``./dev test``); each worker gets a PostgreSQL
# database of its own beside the one named (made before its first test), as every test empties its database.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if PG_URL and WORKER:
    _base = make_url(PG_URL)
    PG_BASE_URL, PG_URL = PG_URL, _base.set(database=f"{_base.database}_{WORKER}").render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _worker_database() -> None:
    """CREATE DATABASE for this worker once, before its first test (an unreachable server fails every
    PostgreSQL test of the worker, as it would without workers)."""
    if PG_URL and WORKER:
        import asyncio

        asyncio.run(_ensure_worker_database())


async def _ensure_worker_database() -> None:
    name = make_url(PG_URL).database
    engine = create_async_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def programme() -> Programme:
    return load_programme(CONTENT)


@pytest.fixture
def clock() -> FakeClock:
    # A Monday morning in Stockholm (08:00 local).
    return FakeClock(datetime(2026, 1, 5, 7, 0, tzinfo=UTC))


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'icbt.sqlite3'}"


async def fresh_database(kind: str, tmp_path: Path) -> Database:
    if kind == "sqlite":
        db = Database(sqlite_url(tmp_path))
    else:
        assert PG_URL is not None
        db = Database(PG_URL)
        await db.check()  # raises StorageUnavailable: the test fails, it does not skip
        async with db.engine.begin() as conn:
            await conn.run_sync(METADATA.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await db.upgrade()
    return db


def database_fixture(kinds: list[str]):
    """A ``db`` fixture over ``kinds``: a test module or folder that needs other databases redefines
    ``db = database_fixture([...])`` (the journeys walk on SQLite; see tests/journey/conftest.py)."""

    @pytest.fixture(params=kinds)
    async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
        database = await fresh_database(request.param, tmp_path)
        yield database
        await database.dispose()

    return db


db = database_fixture(DB_KINDS)


@pytest.fixture
def p(programme: Programme, clock: FakeClock) -> Participant:
    """A participant of the engine alone (no storage), on the fake clock; test modules may override it."""
    return Participant(programme, clock)


@pytest.fixture
def in_week2(p: Participant, clock: FakeClock) -> Participant:
    p.through_consent()
    finish_current_module(p)  # baseline
    clock.advance(timedelta(days=14, hours=3))
    p.tick()  # week 2 opens
    return p


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def sender(db: Database, clock: FakeClock, transport: RecordingTransport) -> OutboxSender:
    return OutboxSender(db, {"test": transport, "console": transport}, clock, Unlimited())


@pytest.fixture
def service(db: Database, programme: Programme, clock: FakeClock, sender: OutboxSender) -> ConversationService:
    return conversation_service(
        db, build_engine(programme), clock, timezone="Europe/Stockholm", language="en",
        staff_target=("test", "staff"), wake_sender=sender.wake.set,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _shipped_content(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings a test builds read the shipped content beside the tests, whatever directory pytest was
    started from (the default ``content`` is relative to the working directory)."""
    monkeypatch.setenv("ICBT_CONTENT_DIR", str(CONTENT))


@pytest.fixture(autouse=True)
def _charts_in_the_tests_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pictures a test's bot draws go to a temporary folder, never into the repository's var/ (a test
    that starts a process passes this on; test_demo's ``env_for`` does)."""
    monkeypatch.setenv("ICBT_CHARTS_DIR", str(tmp_path_factory.getbasetemp() / "charts"))


SLOW_MODULES = {"test_demo", "test_bench_command", "test_simulate", "test_two_processes", "test_programme_walk",
                "test_sweep_lock_processes", "test_sender_benchmark", "test_install"}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The README's markers: ``postgres`` on every run on PostgreSQL, ``slow`` on the journeys and on the
    modules that start processes or walk whole programmes (``-m "not slow"`` for a quick run)."""
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is not None and "postgresql" in spec.params.values():
            item.add_marker(pytest.mark.postgres)
        if item.path.parent.name == "journey" or item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _restore_logging():
    """A CLI command configures the root logger for its process; in tests that must not outlive the test."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the shipped content that a test may edit (see tests/support/content.py)."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target
