"""A change deep inside the stored position (a weekly report's offer count) is written, not lost.

Found by the simulator: the state shared its nested dicts with the row's loaded JSON, so a change made
only there compared equal to the "committed" value and the UPDATE was skipped; the next sweep offered
the report again under the same dedup key and the outbox refused it (SQLite and PostgreSQL). Every
decision is now written by ``EffectRows`` (the one writer), here through ``Decisions``."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.charts.files import PictureWriter
from bot.clock import FakeClock
from bot.conversation.decisions import Decisions
from bot.conversation.service import DEFAULT_CHARTS_DIR
from bot.engine.model import Effects, ParticipantState
from bot.features import build_engine
from bot.storage.repository import Repository, to_state

NOW = datetime(2026, 2, 16, 18, 0, tzinfo=UTC)


async def test_a_nested_change_in_the_position_is_saved(db, programme) -> None:
    async with db.transaction() as session:
        row = await Repository(session, lock_rows=not db.is_sqlite).create_participant(
            "test", "chat-1", "en", "Europe/Stockholm", NOW
        )
        pid = row.id
    decisions = Decisions(db, build_engine(programme), FakeClock(NOW), PictureWriter(DEFAULT_CHARTS_DIR), lambda: None)

    def first_offer(state: ParticipantState, now: datetime) -> Effects:
        state.reports["week02"] = {"offers": 1, "reminders": 0}
        return Effects()

    def second_offer(state: ParticipantState, now: datetime) -> Effects:
        state.reports["week02"]["offers"] += 1  # only a nested value changes, as weekly.offer does
        return Effects()

    await decisions.nudge(pid, first_offer)
    await decisions.nudge(pid, second_offer)
    async with db.reading() as session:
        row = await Repository(session, False).participant(pid)
        assert to_state(row).reports["week02"]["offers"] == 2
