"""Journeys walk whole programmes for weeks of fake time through the real service, on SQLite.

The storage code under a walk is the same on both databases and the storage tests run it on PostgreSQL
too; a journey whose point is what storage keeps (withdrawal and erasure, a broken record) asks for
both databases itself with ``db = database_fixture(DB_KINDS)``. This keeps CI within its 15 minutes.

Shared here: ``journey`` (one participant in Telegram and the staff group) and ``tg`` (the staff group's
harness of tests/support/staff_telegram.py).
"""

from __future__ import annotations

import pytest

from tests.conftest import database_fixture
from tests.support.journey import Journey
from tests.support.staff_telegram import telegram_stack, tg  # noqa: F401  (the staff group's Telegram harness, a fixture)

db = database_fixture(["sqlite"])


@pytest.fixture
async def journey(db, programme, clock, monkeypatch):
    async with telegram_stack(db, programme, clock, monkeypatch) as t:
        yield Journey(t.application, t.api, t.service, t.sender, t.relay, db, programme, clock)
