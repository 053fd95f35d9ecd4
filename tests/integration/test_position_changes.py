"""A change deep inside the stored position (a weekly report's offer count) is written, not lost.

Found by the simulator: the state shared its nested dicts with the row's loaded JSON, so a change made
only there compared equal to the "committed" value and SQLAlchemy skipped the UPDATE; the next sweep
offered the report again under the same dedup key and the outbox refused it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.engine.model import Effects
from bot.storage.repository import Repository, to_state

NOW = datetime(2026, 2, 16, 18, 0, tzinfo=UTC)


async def test_a_nested_change_in_the_position_is_saved(db) -> None:
    async with db.transaction() as session:
        repo = Repository(session, lock_rows=not db.is_sqlite)
        row = await repo.create_participant("test", "chat-1", "en", "Europe/Stockholm", NOW)
        state = to_state(row)
        state.reports["week02"] = {"offers": 1, "reminders": 0}
        repo.save(row, state, Effects(), now=NOW, version="v", next_due=None, event_id=None)
        pid = row.id
    async with db.transaction() as session:
        repo = Repository(session, lock_rows=not db.is_sqlite)
        row = await repo.participant(pid)
        state = to_state(row)
        state.reports["week02"]["offers"] += 1  # only a nested value changes, as weekly.offer does
        repo.save(row, state, Effects(), now=NOW, version="v", next_due=None, event_id=None)
    async with db.reading() as session:
        row = await Repository(session, False).participant(pid)
        assert to_state(row).reports["week02"]["offers"] == 2
