"""Outages said once and a database without the schema migrated (real service on SQLite and
PostgreSQL): a database dropped and recreated empty is found out by the next event, migrated, and that
event is handled; a database that does not answer is one ERROR line with its cause, not a traceback
per event, and one more line when it answers again."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from bot.bootstrap import conversation_service
from bot.engine import Inbound
from bot.errors import StorageUnavailable
from bot.features import build_engine
from bot.storage.metadata import METADATA
from bot.storage.models import ProcessedEvent
from bot.storage.outage import Outage


async def test_a_database_recreated_empty_is_migrated_by_the_next_event(db, service, caplog):
    await service.handle("test", "1", "e-1", Inbound(kind="command", text="start"))
    async with db.engine.begin() as conn:  # dropped and recreated: no tables at all
        await conn.run_sync(METADATA.drop_all)
        await conn.execute(text("DROP TABLE alembic_version"))
    with caplog.at_level(logging.ERROR):
        assert await service.handle("test", "1", "e-2", Inbound(kind="command", text="start"))
    async with db.reading() as session:
        assert list(await session.scalars(select(ProcessedEvent.event_id))) == ["e-2"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["the database has no icbt tables (created anew?): migrating it now"]


def test_an_outage_is_one_line_when_it_starts_and_one_when_it_ends(caplog):
    now = [100.0]
    outage = Outage(clock=lambda: now[0])
    with caplog.at_level(logging.ERROR):
        for _ in range(50):  # fifty events while the database is away
            outage.failed(StorageUnavailable("connection refused by 127.0.0.1:5432"))
        now[0] += 40
        outage.ok()
        outage.ok()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "database unavailable: StorageUnavailable: connection refused by 127.0.0.1:5432; "
        "updates wait unconfirmed until it is back",
        "database available again after 40 s (50 failed attempts in between)",
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_events_against_an_unreachable_database_log_one_line(programme, clock, caplog):
    from bot.storage.database import Database

    down = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none")  # nothing listens there
    service = conversation_service(down, build_engine(programme), clock, timezone="Europe/Stockholm", language="en")
    with caplog.at_level(logging.ERROR):
        for n in range(5):
            with pytest.raises(OSError):
                await service.handle("test", "1", f"e-{n}", Inbound(kind="command", text="start"))
    await down.dispose()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].getMessage().startswith("database unavailable: ")
    assert errors[0].exc_info is None
