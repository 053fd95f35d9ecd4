"""Journeys walk whole programmes for weeks of fake time through the real service, on SQLite.

The storage code under a walk is the same on both databases and the storage tests run it on PostgreSQL
too; a journey whose point is what storage keeps (withdrawal and erasure, a broken record) asks for
both databases itself with ``db = database_fixture(DB_KINDS)``. This keeps CI within its 15 minutes.
"""

from __future__ import annotations

from tests.conftest import database_fixture

db = database_fixture(["sqlite"])
