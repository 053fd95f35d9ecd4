"""Shared fixtures: the real content, a fake clock, and databases.

Storage tests run on SQLite always and on PostgreSQL when ``ICBT_TEST_DATABASE_URL`` is set. Asked for
PostgreSQL and unable to reach it, they fail: a skipped database test would hide a broken CI.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import FakeClock
from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.conversation.service import ConversationService
from bot.engine import Engine
from bot.storage.database import Database
from bot.storage.metadata import METADATA
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.support import Participant, RecordingTransport, finish_current_module

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
PG_URL = os.environ.get("ICBT_TEST_DATABASE_URL")
DB_KINDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


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
    return ConversationService(
        db, Engine(programme), clock, timezone="Europe/Stockholm", language="en",
        staff_target=("test", "staff"), wake_sender=sender.wake.set,
    )  # fmt: skip


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
