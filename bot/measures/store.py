"""Store a score inside the caller's transaction (the engine wiring calls this when a questionnaire ends).

The caller's unit of work owns the session and commits; this only adds the row, so a score and the
answers it came from are written together or not at all. An administration is answered once: once its
score is stored it is closed, and a later score for it (which the chat no longer asks for) leaves the
stored one exactly as it was.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.measures.scoring import Score
from bot.storage.tables_measures import ScoreRow

log = logging.getLogger(__name__)


async def store_score(
    session: AsyncSession,
    participant_id: int,
    module_id: str,
    step_id: str,
    score: Score,
    content_version: str,
    at: datetime,
) -> ScoreRow:
    """Add the score of one administration; an administration already scored is closed and keeps its score."""
    row = await session.scalar(
        select(ScoreRow).where(
            ScoreRow.participant_id == participant_id, ScoreRow.module_id == module_id, ScoreRow.step_id == step_id
        )
    )
    if row is not None:
        log.warning("%s.%s was scored already for participant %s: the stored score stands", module_id, step_id,
                    participant_id)  # fmt: skip
        return row
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
