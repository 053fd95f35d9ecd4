"""Where a database's trial data came from: the simulator marks its database, the report says so.

``icbt simulate`` writes one audit row (actor ``simulator``) before the first synthetic person
arrives, so a database holding simulated people always carries the mark; ``icbt report`` and
``icbt export`` read it and put "simulated data" on the report's own page. A real site's database never
has the row: nothing but the simulator writes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.storage.audit import audit
from bot.storage.database import Database
from bot.storage.models import AuditEntry

ACTOR, ACTION = "simulator", "simulated_trial"
NOTE = ("Simulated data: every participant in this report is a synthetic person from `icbt simulate` "
        "(seed {seed}, {participants} randomized, treatment effect {effect:g} × the seed's, adherence "
        "{adherence:g}, drop-out {dropout:g}, crossover taken {crossover_accept:g}), not a real person.")  # fmt: skip


async def mark_simulated(db: Database, at: datetime, settings: dict[str, Any]) -> None:
    """Mark ``db`` as holding a simulated trial run with these settings."""
    async with db.transaction() as session:
        audit(session, at=at, participant_id=None, actor=ACTOR, action=ACTION, detail=dict(settings))


async def simulated_note(db: Database) -> str:
    """The report's note when ``db`` holds a simulated trial; empty for real data."""
    async with db.reading() as session:
        row = await session.scalar(
            select(AuditEntry).where(AuditEntry.actor == ACTOR, AuditEntry.action == ACTION).limit(1)
        )
    if row is None:
        return ""
    detail = {
        "seed": "?",
        "participants": "?",
        "effect": 1.0,
        "adherence": 0.0,
        "dropout": 0.0,
        "crossover_accept": 0.0,
        **row.detail,
    }
    try:
        return NOTE.format(**detail)
    except (ValueError, KeyError):
        return "Simulated data from `icbt simulate`: not real participants."
