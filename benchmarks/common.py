"""Shared pieces of the benchmarks: a fresh database, and one scripted conversation.

The conversation is decided once, in memory, by the engine itself (press "Continue ›", agree to take
part, press the first button, or type "5"), and every benchmark participant replays the same inputs.
That keeps the sender out of the inbound figures (the sender has its own benchmark) while each event
still does the full work: read the participant, decide, write state, answers and outbox rows.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bot.content.programme import Programme
from bot.engine import Inbound, ParticipantState
from bot.features import build_engine
from bot.storage.database import Database
from bot.storage.metadata import METADATA

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def scratch_dir(prefix: str) -> Path:
    """A temp dir removed when the benchmark's process exits (a 100,000 sweep leaves 200 MB)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


async def fresh_database(url: str | None) -> Database:
    """A new SQLite file in a temp dir (``url`` None) or an emptied PostgreSQL database."""
    if url is None:
        url = f"sqlite+aiosqlite:///{scratch_dir('icbt-bench-') / 'bench.sqlite3'}"
    db = Database(url)
    if not db.is_sqlite:
        await db.check()
        async with db.engine.begin() as conn:
            await conn.run_sync(METADATA.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await db.upgrade()
    return db


def conversation(programme: Programme, length: int) -> list[Inbound]:
    """The inputs of a cooperative participant from /start through onboarding, consent and baseline."""
    engine = build_engine(programme)
    state = ParticipantState(code="P-BENCH", language="en", timezone="Europe/Stockholm")
    inputs = [Inbound(kind="command", text="start")]
    effects = engine.handle(state, inputs[0], START, ())
    while len(inputs) < length:
        buttons = [b for out in effects.outbound for row in out.buttons for b in row]
        labels = [b.label for b in buttons]
        if "Continue ›" in labels:
            nxt = Inbound(kind="choice", text=buttons[labels.index("Continue ›")].data)
        elif "I agree to take part" in labels:
            nxt = Inbound(kind="choice", text=buttons[labels.index("I agree to take part")].data)
        elif buttons and labels != ["Skip"]:
            nxt = Inbound(kind="choice", text=buttons[0].data)
        else:
            nxt = Inbound(kind="text", text="5")
        inputs.append(nxt)
        effects = engine.handle(state, nxt, START, ())
    return inputs


def active_participants(programme: Programme, first: int, last: int, channel: str) -> tuple[list[dict], datetime]:
    """Participant rows ``first``..``last`` (codes P-000001…, chat ids "1"…) past consent and baseline,
    all due for the same evening's first diary prompt; and that instant."""
    engine = build_engine(programme)
    state = ParticipantState(code="P-X", language="en", timezone="Europe/Stockholm")
    for inbound in conversation(programme, 200):
        engine.handle(state, inbound, START, ())
    due = engine.next_due(state, START)
    assert due is not None and state.status == "active"
    rows = [
        {"code": f"P-{i:06d}", "channel": channel, "chat_id": str(i), "language": "en", "timezone": "Europe/Stockholm",
         "status": "active", "paused": False, "unreachable": False, "start_date": state.start_date,
         "position": state.position_json(), "next_due_at": due, "created_at": START, "updated_at": START}
        for i in range(first, last + 1)
    ]  # fmt: skip
    return rows, due
