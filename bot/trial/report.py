"""What staff see of the trial: one line per participant and the counts per stage (reads, audited).

The counting is pure (``summarise``) over ``ParticipantLine`` values; ``TrialReport`` reads them in one
transaction and writes an audit row naming who looked. Nothing here shows a future allocation: only
the arms already drawn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.programme import Programme
from bot.errors import TrialStateError
from bot.storage.database import Database
from bot.storage.models import AuditEntry, Consent, Participant
from bot.storage.repository import Repository
from bot.storage.tables_trial import TrialAllocation, TrialApplication, TrialInterview, TrialWithdrawal
from bot.trial.arms import arm_day, local_day
from bot.trial.chain import Link
from bot.trial.flow import Consort, Outcome, Person, consort, outcome_of
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
    person: Person | None = field(default=None, compare=False)  # what the one count reads (bot/trial/flow.py)

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self.person or Person(self.facts, self.status, arm=self.arm, unreachable=self.unreachable))


@dataclass(frozen=True)
class TrialStatus:
    stages: dict[str, int]
    arms: dict[str, int]
    weeks: dict[tuple[str, int], int]  # (arm, week) -> participants in that week, not finished or withdrawn
    flow: Consort | None = None  # the CONSORT flow, counted as the report and the export count it


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
        outcome = line.outcome  # completed, lost and withdrawn as the report and the export count them
        stages["completed"] += outcome == "completed"
        stages["withdrawn"] += f.withdrawn
        stages["lost"] += outcome == "lost"
        if line.arm:
            arms[line.arm] += 1
            if outcome == "ongoing" and line.week is not None:
                weeks[(line.arm, line.week)] += 1
    flow = consort(line.person or Person(line.facts, line.status, arm=line.arm) for line in lines)
    return TrialStatus(stages, dict(arms), dict(sorted(weeks.items())), flow)


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
            lines = await read_lines(session, self.programme, people, now)
            Repository(session, False).audit(
                people[0].id if code is not None else None, by, "staff_read", {"what": "participants"}, now
            )
        return lines

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

    async def allocation_chain(self) -> tuple[list[Link], list[str]]:
        """The stored allocations in the order made, and the hashes the audit log recorded (for the chain
        check of ``icbt trial audit``; read in the transaction ``allocations_made`` audits)."""
        async with self.db.reading() as session:
            rows = (await session.scalars(select(TrialAllocation).order_by(TrialAllocation.id))).all()
            details = await session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "allocated"))
            audited = [str(d["hash"]) for d in details if isinstance(d, dict) and d.get("hash")]
        links = [Link(r.id, r.participant_id, r.arm, r.stratum, r.sequence_index, r.allocated_on, r.prev_hash, r.hash)
                 for r in rows]  # fmt: skip
        return links, audited

    async def status(self, by: str) -> TrialStatus:
        return summarise(await self.lines(by))


async def read_lines(session: AsyncSession, programme: Programme, people: Sequence[Participant],
                     now: datetime) -> list[ParticipantLine]:  # fmt: skip
    """Each person's line from their latest trial records, read in the caller's session: what
    ``icbt trial status`` and the research dataset (bot/measures/db_loader.py) both count."""
    ids = [p.id for p in people]

    async def latest(model: Any) -> dict[int, Any]:
        rows = await session.scalars(select(model).where(model.participant_id.in_(ids)).order_by(model.id))
        return {r.participant_id: r for r in rows}

    applications, interviews = await latest(TrialApplication), await latest(TrialInterview)
    consents, allocations = await latest(Consent), await latest(TrialAllocation)
    withdrawals = await latest(TrialWithdrawal)
    records = (applications, interviews, consents, allocations, withdrawals)
    return [line_of(programme, p, *(r.get(p.id) for r in records), now=now) for p in people]


def line_of(programme: Programme, p: Participant, app: Any, interview: Any, consent: Any, allocation: Any,
            withdrawal: Any, *, now: datetime) -> ParticipantLine:  # fmt: skip
    """One participant's line from their latest records (pure over the rows read)."""
    facts = Facts(applied=app is not None, eligible=bool(app and app.eligible),
                  interview=interview.outcome if interview else None, consented=bool(consent and consent.agreed),
                  allocated=allocation is not None, withdrawn=withdrawal is not None)  # fmt: skip
    week, finished = None, False
    position = p.position or {}
    if allocation is not None and programme.trial is not None:
        # the arm's weeks count from the first day of baseline (the engine's week 0), not from the draw
        week0 = date.fromisoformat(position["allocated_on"]) if position.get("allocated_on") else None
        day = arm_day(programme, programme.trial.arm(allocation.arm), week0 or allocation.allocated_on,
                      local_day(now, p.timezone))  # fmt: skip
        week, finished = day.week, day.finished
    person = Person(facts, p.status, tuple(position.get("finished") or ()),
                    allocation.arm if allocation else None, finished, p.unreachable,
                    withdrawal.may_use_data if withdrawal else None, position.get("crossover") == "accepted")  # fmt: skip
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
        week=week, finished=finished, unreachable=p.unreachable, detail=detail, person=person,
    )  # fmt: skip
