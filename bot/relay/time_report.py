"""Therapist minutes per participant and programme week, by arm: what ``icbt staff time`` prints.

Only recorded minutes count (measured from the first look to the feedback, or set with ``/time``);
a week nobody recorded is absent, never a zero. The seed's guidance took 10–15 minutes a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean, pstdev

from sqlalchemy import func, select

from bot.relay.store import shown_week
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.storage.tables_relay import RelayLog

SEED_MINUTES = (10, 15)


@dataclass(frozen=True)
class WeekMinutes:
    code: str
    arm: str
    week: str  # as staff and participant count it
    minutes: int


@dataclass(frozen=True)
class ArmMinutes:
    arm: str
    weeks: int  # participant-weeks with recorded minutes
    mean: float
    sd: float


async def week_minutes(db: Database) -> list[WeekMinutes]:
    """Recorded minutes per participant and week, oldest participant first."""
    async with db.reading() as session:
        rows = await session.execute(
            select(Participant.code, Participant.position, RelayLog.week, func.sum(RelayLog.minutes))
            .join(Participant, Participant.id == RelayLog.participant_id)
            .where(RelayLog.kind.in_(("time", "call")), RelayLog.minutes.is_not(None))
            .group_by(Participant.id, Participant.code, Participant.position, RelayLog.week)
            .order_by(Participant.id, RelayLog.week)
        )
        return [
            WeekMinutes(code or "?", (position or {}).get("arm") or "no arm", shown_week(week), int(total or 0))
            for code, position, week, total in rows.tuples()
        ]


def by_arm(rows: list[WeekMinutes]) -> list[ArmMinutes]:
    arms: dict[str, list[int]] = {}
    for row in rows:
        arms.setdefault(row.arm, []).append(row.minutes)
    return [ArmMinutes(arm, len(v), fmean(v), pstdev(v) if len(v) > 1 else 0.0) for arm, v in sorted(arms.items())]
