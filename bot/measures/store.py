"""Store a score inside the caller's transaction (the engine wiring calls this when a questionnaire ends).

The caller's unit of work owns the session and commits; this only adds or replaces the row, so a
score and the answers it came from are written together or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.measures.scoring import Score
from bot.storage.tables_measures import ScoreRow


async def store_score(
    session: AsyncSession,
    participant_id: int,
    module_id: str,
    step_id: str,
    score: Score,
    content_version: str,
    at: datetime,
) -> ScoreRow:
    """Add the score of one administration, replacing an earlier score of the same administration."""
    row = await session.scalar(
        select(ScoreRow).where(
            ScoreRow.participant_id == participant_id, ScoreRow.module_id == module_id, ScoreRow.step_id == step_id
        )
    )
    if row is None:
        row = ScoreRow(participant_id=participant_id, module_id=module_id, step_id=step_id)
        session.add(row)
    row.instrument = score.instrument
    row.total = score.total
    row.subscales = dict(score.subscales)
    row.band = score.band
    row.items_missing = list(score.items_missing)
    row.prorated = score.prorated
    row.content_version = content_version
    row.at = at
    await session.flush()
    return row
