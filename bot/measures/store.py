"""Store a score inside the caller's transaction (the engine wiring calls this when a questionnaire ends).

The caller's unit of work owns the connection and commits; this only adds the row, so a score and the
answers it came from are written together or not at all. An administration is answered once: once its
score is stored it is closed, and a later score for it (which the chat no longer asks for) leaves the
stored one exactly as it was. One ``INSERT … ON CONFLICT DO NOTHING`` on the administration's unique
key says both at once, with no read before it (a score is stored inside every event batch that ends a
questionnaire).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.measures.scoring import Score
from bot.storage.bulk import insert_ignore
from bot.storage.tables_measures import ScoreRow

log = logging.getLogger(__name__)
SCORES: Table = ScoreRow.__table__  # type: ignore[assignment]


def insert_score(
    conn: Connection,
    participant_id: int,
    module_id: str,
    step_id: str,
    score: Score,
    content_version: str,
    at: datetime,
) -> bool:
    """Add the score of one administration; False: it was scored already, and that score stands."""
    values: dict[str, Any] = {
        "participant_id": participant_id, "module_id": module_id, "step_id": step_id,
        "instrument": score.instrument, "total": score.total, "subscales": dict(score.subscales),
        "band": score.band, "items_missing": list(score.items_missing), "prorated": score.prorated,
        "content_version": content_version, "at": at,
    }  # fmt: skip
    statement = insert_ignore(conn.dialect.name, SCORES).values(values).returning(SCORES.c.id)
    if conn.execute(statement).first() is None:
        log.warning("%s.%s was scored already for participant %s: the stored score stands", module_id, step_id,
                    participant_id)  # fmt: skip
        return False
    return True


async def store_score(session: AsyncSession, *administration: Any) -> bool:
    """``insert_score``, given the same arguments after its connection, inside the transaction of code
    that holds an ``AsyncSession``."""
    conn = await session.connection()
    return await conn.run_sync(insert_score, *administration)
