"""What staff see of the trial: one line per participant and the counts per stage (reads, audited).

The counting is pure (``summarise``) over ``ParticipantLine`` values; ``TrialReport`` reads them in one
transaction and writes an audit row naming who looked. Nothing here shows a future allocation: only
the arms already drawn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.clock import Clock
from bot.content.programme import Programme
from bot.errors import TrialStateError
from bot.storage.database import Database
from bot.storage.models import Consent, Participant
from bot.storage.repository import Repository
from bot.storage.tables_trial import TrialAllocation, TrialApplication, TrialInterview, TrialWithdrawal
from bot.trial.arms import arm_day, local_day
from bot.trial.stage import Facts, Stage, stage_of

STAGE_ROWS = ("applied", "eligible", "interviewed", "included", "consented", "randomized", "completed",
              "withdrawn", "lost")  # fmt: skip


@dataclass(frozen=True)
class ParticipantLine:
    code: str
    status: str
    stage: Stage
    facts: Facts
    arm: str | None = None
    allocated_on: date | None = None
    week: int | None = None
    finished: bool = False
    unreachable: bool = False
    detail: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class TrialStatus:
    stages: dict[str, int]
    arms: dict[str, int]
    weeks: dict[tuple[str, int], int]  # (arm, week) -> participants in that week, not finished or withdrawn


def summarise(lines: list[ParticipantLine]) -> TrialStatus:
    stages = dict.fromkeys(STAGE_ROWS, 0)
    arms: Counter[str] = Counter()
    weeks: Counter[tuple[str, int]] = Counter()
    for line in lines:
        f = line.facts
        stages["applied"] += f.applied
        stages["eligible"] += f.eligible
        stages["interviewed"] += f.interview is not None
        stages["included"] += f.interview == "include"
        stages["consented"] += f.consented and f.interview == "include"
        stages["randomized"] += f.allocated
        stages["completed"] += (line.finished or line.status == "completed") and not f.withdrawn
        stages["withdrawn"] += f.withdrawn
        stages["lost"] += line.unreachable and not f.withdrawn
        if line.arm:
            arms[line.arm] += 1
            if not f.withdrawn and not line.finished and line.week is not None:
                weeks[(line.arm, line.week)] += 1
    return TrialStatus(stages, dict(arms), dict(sorted(weeks.items())))


class TrialReport:
    def __init__(self, db: Database, programme: Programme, clock: Clock) -> None:
        self.db, self.programme, self.clock = db, programme, clock

    async def lines(self, by: str, code: str | None = None) -> list[ParticipantLine]:
        """Every participant (or one), audited as a staff read by ``by``."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            query = select(Participant).order_by(Participant.id)
            if code is not None:
                query = query.where(Participant.code == code)
            people = (await session.scalars(query)).all()
            if code is not None and not people:
                raise TrialStateError(f"no participant {code}")
            ids = [p.id for p in people]

            async def latest(model: Any) -> dict[int, Any]:
                rows = await session.scalars(select(model).where(model.participant_id.in_(ids)).order_by(model.id))
                return {r.participant_id: r for r in rows}

            applications, interviews = await latest(TrialApplication), await latest(TrialInterview)
            consents, allocations = await latest(Consent), await latest(TrialAllocation)
            withdrawals = await latest(TrialWithdrawal)
            Repository(session, False).audit(
                people[0].id if code is not None else None, by, "staff_read", {"what": "participants"}, now
            )
        records = (applications, interviews, consents, allocations, withdrawals)
        return [self._line(p, *(r.get(p.id) for r in records), now=now) for p in people]

    def _line(self, p: Participant, app: Any, interview: Any, consent: Any, allocation: Any, withdrawal: Any,
              *, now: datetime) -> ParticipantLine:  # fmt: skip
        """One participant's line from their latest records (pure over the rows read)."""
        facts = Facts(applied=app is not None, eligible=bool(app and app.eligible),
                      interview=interview.outcome if interview else None, consented=bool(consent and consent.agreed),
                      allocated=allocation is not None, withdrawn=withdrawal is not None)  # fmt: skip
        week, finished = None, False
        if allocation is not None and self.programme.trial is not None:
            day = arm_day(self.programme, self.programme.trial.arm(allocation.arm), allocation.allocated_on,
                          local_day(now, p.timezone))  # fmt: skip
            week, finished = day.week, day.finished
        detail = {
            "language": p.language, "timezone": p.timezone, "joined": p.created_at.date().isoformat(),
            "applied_on": app.applied_on.isoformat() if app else None,
            "not_eligible_because": [r["id"] for r in app.result.get("reasons", [])] if app else [],
            "contact": app.contact if app else None,
            "interview": f"{interview.outcome} by {interview.by}" if interview else None,
            "consent": f"{'agreed' if consent.agreed else 'declined'} {consent.version}" if consent else None,
            "withdrawn": (f"{withdrawal.at.date().isoformat()}, data may be used: "
                          f"{'yes' if withdrawal.may_use_data else 'no'}") if withdrawal else None,
        }  # fmt: skip
        return ParticipantLine(
            code=p.code or f"P-{p.id:04d}", status=p.status, stage=stage_of(facts), facts=facts,
            arm=allocation.arm if allocation else None, allocated_on=allocation.allocated_on if allocation else None,
            week=week, finished=finished, unreachable=p.unreachable, detail=detail,
        )  # fmt: skip

    async def allocations_made(self, by: str) -> list[tuple[str, int, str]]:
        """(stratum, index, arm) of every allocation made, for the auditor's check (audited)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(TrialAllocation.stratum, TrialAllocation.sequence_index, TrialAllocation.arm)
                )
            ).all()
            Repository(session, False).audit(None, by, "staff_read", {"what": "allocation_audit"}, now)
        return [(s, i, a) for s, i, a in rows]

    async def status(self, by: str) -> TrialStatus:
        return summarise(await self.lines(by))
