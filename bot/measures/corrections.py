"""Corrections of closed administrations: what a researcher does when an answer was recorded wrongly
(a participant says they tapped the wrong button, a paper form was keyed in wrong).

An administration, once scored, never changes (``store.py``). A correction is a new record beside it:
the corrected item answers, the score recomputed from them with today's scoring rules, who, when and
why, and an audit row, all in one transaction. The analysis reads the newest correction of an
administration instead of its first score and marks the value as corrected (``db_loader.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.programme import Programme
from bot.errors import IcbtError
from bot.measures.scoring import ScoringError, score
from bot.storage.models import Answer, Participant
from bot.storage.repository import Repository
from bot.storage.tables_measures import ScoreCorrection, ScoreRow


class CorrectionRefused(IcbtError):
    """A correction that cannot be made, said in one line."""


def parse_changes(pairs: list[str]) -> dict[str, int]:
    """``["q3=2", "q9=0"]`` -> ``{"q3": 2, "q9": 0}``; anything else is refused in one line."""
    changes: dict[str, int] = {}
    for pair in pairs:
        item, sep, value = pair.partition("=")
        if not sep or not item.strip() or not value.strip().lstrip("-").isdigit() or len(value.strip()) > 4:
            raise CorrectionRefused(f"{pair!r}: write each change as ITEM=NUMBER, e.g. q3=2")
        changes[item.strip()] = int(value)
    if not changes:
        raise CorrectionRefused("name at least one change, e.g. q3=2")
    return changes


async def correct_administration(
    session: AsyncSession, programme: Programme, code: str, administration: str, changes: Mapping[str, int],
    reason: str, by: str, now: datetime,
) -> ScoreCorrection:  # fmt: skip
    """Record a correction of ``administration`` (``module.step``, e.g. ``baseline.phq9``) for ``code``."""
    if not reason.strip():
        raise CorrectionRefused("a correction needs its reason (--reason)")
    participant = await session.scalar(select(Participant).where(Participant.code == code.upper()))
    if participant is None:
        raise CorrectionRefused(f"no participant {code}")
    module_id, _, step_id = administration.partition(".")
    original = await session.scalar(select(ScoreRow).where(
        ScoreRow.participant_id == participant.id, ScoreRow.module_id == module_id, ScoreRow.step_id == step_id))  # fmt: skip
    if original is None:
        raise CorrectionRefused(f"{code} has no scored administration {administration!r}")
    instrument = programme.instruments.get(original.instrument)
    if instrument is None:
        raise CorrectionRefused(f"instrument {original.instrument!r} is not in the content")
    before = await _current_answers(session, participant.id, module_id, step_id)
    answers = {**before, **changes}
    try:
        result = score(instrument, answers)
    except ScoringError as error:
        raise CorrectionRefused(str(error)) from None
    row = ScoreCorrection(
        participant_id=participant.id, instrument=instrument.id, module_id=module_id, step_id=step_id,
        answers=answers, changed={k: [before.get(k), v] for k, v in changes.items() if before.get(k) != v},
        total=result.total, subscales=dict(result.subscales), band=result.band,
        items_missing=list(result.items_missing), prorated=result.prorated, reason=reason.strip()[:500],
        by=by[:80], content_version=programme.version, at=now,
    )  # fmt: skip
    if not row.changed:
        raise CorrectionRefused("those answers are already what is stored: nothing to correct")
    session.add(row)
    Repository(session, False).audit(participant.id, by, "score_corrected",
                                     {"administration": administration, "changed": row.changed}, now)  # fmt: skip
    await session.flush()
    return row


async def _current_answers(session: AsyncSession, participant_id: int, module_id: str, step_id: str) -> dict[str, int]:
    """The administration's item answers as they stand: the newest correction's, else as answered."""
    latest = await session.scalar(
        select(ScoreCorrection)
        .where(ScoreCorrection.participant_id == participant_id, ScoreCorrection.module_id == module_id,
               ScoreCorrection.step_id == step_id)
        .order_by(ScoreCorrection.id.desc()).limit(1)
    )  # fmt: skip
    if latest is not None:
        return dict(latest.answers)
    rows = await session.scalars(
        select(Answer).where(Answer.participant_id == participant_id, Answer.module_id == module_id,
                             Answer.step_id == step_id).order_by(Answer.id)
    )  # fmt: skip
    return {a.field_id: a.value for a in rows if a.field_id is not None and isinstance(a.value, int)}
