"""The trial's service: one call = one transaction, and the only place the trial meets storage.

An application is stored with its eligibility result; a therapist's interview outcome opens or
closes the consent step; the draw happens at most once per participant — the participant row is
locked, an existing allocation is returned as it is, the stratum's counter row is locked while the
next index is taken, and unique constraints (participant; stratum + index) stop a second row even if
two requests race — and the participant is told in the content's words through the outbox. A
withdrawal stops every pending message at once, tells staff, and is audited with who recorded it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.programme import Programme
from bot.content.schema import LocalText
from bot.content.trial_schema import TrialSpec
from bot.errors import InterviewClosed, TrialStateError
from bot.storage.database import Database
from bot.storage.models import Consent, OutboxMessage, Participant
from bot.storage.outbox import outbox_message
from bot.storage.repository import Repository
from bot.storage.tables_trial import (
    TrialAllocation,
    TrialApplication,
    TrialInterview,
    TrialStratumCounter,
    TrialWithdrawal,
)
from bot.trial.allocation import ArmWeight, allocation_at, stratum_of
from bot.trial.arms import local_day
from bot.trial.chain import GENESIS, link
from bot.trial.eligibility import Eligibility, active_screens, assess
from bot.trial.stage import Facts, Stage, stage_of

log = logging.getLogger(__name__)

CHAIN = "#chain"  # the counter row every allocation locks, so the allocations' hash chain has one head


@dataclass(frozen=True)
class Allocation:
    code: str
    arm: str
    allocated_on: date  # the participant's local date: week 0 of the arm's calendar
    told: LocalText  # the words that told the participant
    new: bool  # False when the participant had been allocated already


@dataclass(frozen=True)
class ToInterview:
    code: str
    contact: str | None
    applied_on: date


async def facts_of(session: AsyncSession, participant_id: int) -> Facts:
    """Everything the stage depends on, read in the caller's transaction."""
    application = await latest_application(session, participant_id)
    interview = await session.scalar(
        select(TrialInterview.outcome)
        .where(TrialInterview.participant_id == participant_id)
        .order_by(TrialInterview.id.desc())
        .limit(1)
    )
    consent = await session.scalar(
        select(Consent.agreed).where(Consent.participant_id == participant_id).order_by(Consent.id.desc()).limit(1)
    )
    allocated = await session.scalar(select(TrialAllocation.id).where(TrialAllocation.participant_id == participant_id))
    withdrawn = await session.scalar(select(TrialWithdrawal.id).where(TrialWithdrawal.participant_id == participant_id))
    return Facts(
        applied=application is not None,
        eligible=bool(application and application.eligible),
        interview=interview,
        consented=bool(consent),
        allocated=allocated is not None,
        withdrawn=withdrawn is not None,
    )


async def latest_application(session: AsyncSession, participant_id: int) -> TrialApplication | None:
    return await session.scalar(
        select(TrialApplication)
        .where(TrialApplication.participant_id == participant_id)
        .order_by(TrialApplication.id.desc())
        .limit(1)
    )


class TrialService:
    def __init__(
        self,
        db: Database,
        programme: Programme,
        clock: Clock,
        *,
        seed: bytes | None,
        staff_target: tuple[str, str] | None = None,
        wake_sender: Callable[[], None] = lambda: None,
    ) -> None:
        if programme.trial is None:
            raise TrialStateError("the content has no trial/trial.yaml: there is no trial to run")
        self.db, self.programme, self.clock, self.seed = db, programme, clock, seed
        self.spec: TrialSpec = programme.trial
        self.staff_target, self.wake_sender = staff_target, wake_sender

    def _repo(self, session: AsyncSession) -> Repository:
        return Repository(session, lock_rows=not self.db.is_sqlite)

    async def _participant(self, repo: Repository, code: str) -> Participant:
        query = select(Participant).where(Participant.code == code)
        if repo.lock_rows:
            query = query.with_for_update()
        row = await repo.session.scalar(query)
        if row is None:
            raise TrialStateError(f"no participant {code}")
        return row

    # -- application and interview ----------------------------------------------------------------
    async def apply(self, participant_id: int, answers: Mapping[str, Any]) -> Eligibility:
        """Store a completed application with its eligibility result (on the participant's local date)."""
        async with self.db.transaction() as session:
            return await self.apply_in(session, participant_id, answers)

    async def apply_in(self, session: AsyncSession, participant_id: int, answers: Mapping[str, Any]) -> Eligibility:
        """``apply`` inside the caller's transaction (a durable request's: the application and what the
        applicant and staff are told commit together)."""
        now = self.clock.now()
        repo = self._repo(session)
        row = await repo.participant(participant_id)
        if row is None:
            raise TrialStateError(f"no participant with id {participant_id}")
        applied_on = local_day(now, row.timezone)
        result = assess(self.spec, answers, applied_on, active_screens(self.spec, self.programme.instruments))
        contact = self.spec.contact_of(answers)
        session.add(
            TrialApplication(
                participant_id=row.id, answers=dict(answers), eligible=result.eligible, result=result.to_json(),
                contact=str(contact) if contact is not None else None,
                status="to_interview" if result.eligible else "not_eligible", applied_on=applied_on,
                content_version=self.programme.version, created_at=now, updated_at=now,
            )
        )  # fmt: skip
        repo.audit(row.id, "trial", "applied", {"eligible": result.eligible,
                   "reasons": [r.id for r in result.reasons]}, now)  # fmt: skip
        log.info("application from %s: eligible=%s", row.code, result.eligible)
        return result

    async def stage(self, participant_id: int) -> Stage:
        async with self.db.reading() as session:
            return stage_of(await facts_of(session, participant_id))

    async def to_interview(self, by: str) -> list[ToInterview]:
        """Eligible applicants without an interview outcome, oldest first (a staff read: audited)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(Participant.id, Participant.code, TrialApplication.contact, TrialApplication.applied_on)
                    .join(TrialApplication, TrialApplication.participant_id == Participant.id)
                    .where(TrialApplication.status == "to_interview")
                    .order_by(TrialApplication.id)
                )
            ).all()
            self._repo(session).audit(None, by, "staff_read", {"what": "to_interview", "count": len(rows)}, now)
        return [ToInterview(code or f"P-{pid:04d}", contact, on) for pid, code, contact, on in rows]

    async def interviewed(self, code: str, outcome: str, reason: str | None, by: str) -> Stage:
        """Record a therapist's outcome; only an include opens the consent step."""
        async with self.db.transaction() as session:
            return await self.record_interview(session, code, outcome, reason, by)

    async def interview_open(self, session: AsyncSession, participant_id: int, code: str) -> Stage:
        """The stage, or ``InterviewClosed`` once "I agree" came: a correction then would be a withdrawal
        (asked before an exclusion is confirmed, so staff are not asked about what cannot be done)."""
        stage = stage_of(await facts_of(session, participant_id))
        if stage in ("allocate", "allocated"):
            raise InterviewClosed(code, stage)
        return stage

    async def record_interview(self, session: AsyncSession, code: str, outcome: str, reason: str | None,
                               by: str) -> Stage:  # fmt: skip
        """``interviewed`` inside the caller's transaction (the staff command's, so the outcome and the
        participant's next step commit together)."""
        if outcome not in ("include", "exclude"):
            raise TrialStateError(f"outcome must be include or exclude, not {outcome!r}")
        now = self.clock.now()
        repo = self._repo(session)
        row = await self._participant(repo, code)
        stage = await self.interview_open(session, row.id, code)
        if stage not in ("to_interview", "consent", "excluded"):
            raise TrialStateError(f"{code} is at stage {stage!r}; an interview outcome is not expected")
        session.add(TrialInterview(participant_id=row.id, outcome=outcome, reason=reason, by=by, at=now))
        await session.execute(
            update(TrialApplication)
            .where(TrialApplication.participant_id == row.id, TrialApplication.eligible.is_(True))
            .values(status="included" if outcome == "include" else "excluded", updated_at=now)
        )
        repo.audit(row.id, by, "interviewed", {"outcome": outcome}, now)
        return stage_of(await facts_of(session, row.id))

    # -- allocation -------------------------------------------------------------------------------
    async def allocate(self, participant_id: int) -> Allocation:
        """Draw once; a repeated or concurrent call returns the same allocation and tells nobody twice."""
        try:
            result = await self._allocate(participant_id)
        except IntegrityError:
            # A concurrent request won the race (unique participant / stratum index): ours rolled back.
            result = await self._allocate(participant_id)
        if result.new:
            self.wake_sender()
        return result

    async def _allocate(self, participant_id: int) -> Allocation:
        async with self.db.transaction() as session:
            return await self.allocate_in(session, participant_id)

    async def allocate_in(self, session: AsyncSession, participant_id: int) -> Allocation:
        """The draw inside the caller's transaction; the caller wakes the sender when it is ``new``."""
        if self.seed is None:
            raise TrialStateError("no allocation seed: set ICBT_TRIAL_SEED")
        now = self.clock.now()
        repo = self._repo(session)
        row = await repo.participant(participant_id)  # locked: requests for one participant queue here
        if row is None:
            raise TrialStateError(f"no participant with id {participant_id}")
        existing = await session.scalar(select(TrialAllocation).where(TrialAllocation.participant_id == participant_id))
        if existing is not None:
            return self._result(row, existing, new=False)
        stage = stage_of(await facts_of(session, participant_id))
        if stage != "allocate":
            raise TrialStateError(f"{row.code} is at stage {stage!r}; the draw needs an include and consent")
        application = await latest_application(session, participant_id)
        assert application is not None
        stratum = stratum_of(self.spec.strata, application.answers)
        index = await self._take_index(session, stratum)
        weights = [ArmWeight(a.id, a.weight) for a in self.spec.arms]
        arm = allocation_at(self.seed, weights, self.spec.block_sizes, stratum, index, self.spec.max_imbalance)
        allocated_on = local_day(now, row.timezone)
        await self._take_index(session, CHAIN)  # one lock for every stratum: the chain has one head
        prev = await session.scalar(select(TrialAllocation.hash).order_by(TrialAllocation.id.desc()).limit(1))
        prev = prev or GENESIS
        own = link(prev, row.id, arm, stratum, index, allocated_on)
        allocation = TrialAllocation(participant_id=row.id, arm=arm, stratum=stratum, sequence_index=index,
                                     allocated_on=allocated_on, at=now, prev_hash=prev, hash=own)  # fmt: skip
        session.add(allocation)
        await session.flush()
        result = self._result(row, allocation, new=True)
        lang = self.programme.language(row.language)
        session.add(self._message(row, self.programme.text(result.told, lang), now, f"allocation:{row.id}"))
        repo.audit(None, "trial", "allocated", {"stratum": stratum, "index": index, "hash": own}, now)
        log.info("allocated %s", row.code)
        return result

    async def _take_index(self, session: AsyncSession, stratum: str) -> int:
        insert = pg_insert if not self.db.is_sqlite else sqlite_insert
        await session.execute(
            insert(TrialStratumCounter).values(stratum=stratum, next_index=0).on_conflict_do_nothing()
        )
        query = select(TrialStratumCounter).where(TrialStratumCounter.stratum == stratum)
        if not self.db.is_sqlite:
            query = query.with_for_update()
        counter = (await session.scalars(query.execution_options(populate_existing=True))).one()
        index = counter.next_index
        counter.next_index = index + 1
        return index

    def _result(self, row: Participant, allocation: TrialAllocation, new: bool) -> Allocation:
        told = self.spec.arm(allocation.arm).told
        return Allocation(row.code or "", allocation.arm, allocation.allocated_on, told, new)

    def _message(self, row: Participant, text: str, now: datetime, dedup: str | None) -> OutboxMessage:
        payload = {"text": text, "buttons": [], "image": None}
        return outbox_message(row.id, (row.channel, row.chat_id), payload, now, dedup_key=dedup)

    # -- withdrawal -------------------------------------------------------------------------------
    async def withdraw(self, code: str, may_use_data: bool, by: str, tell_participant: bool = True) -> bool:
        """Stop everything for a participant; False when they had withdrawn already (nothing changes)."""
        async with self.db.transaction() as session:
            done = await self.withdraw_in(session, code, may_use_data, by, tell_participant)
        if done:
            self.wake_sender()
        return done

    async def withdraw_in(self, session: AsyncSession, code: str, may_use_data: bool, by: str,
                          tell_participant: bool = True) -> bool:  # fmt: skip
        """``withdraw`` inside the caller's transaction; the caller wakes the sender."""
        now = self.clock.now()
        repo = self._repo(session)
        row = await self._participant(repo, code)
        done = await session.scalar(select(TrialWithdrawal.id).where(TrialWithdrawal.participant_id == row.id))
        if done is not None:
            return False
        session.add(TrialWithdrawal(participant_id=row.id, may_use_data=may_use_data, by=by, at=now))
        row.status, row.next_due_at, row.updated_at = "withdrawn", None, now
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == row.channel, OutboxMessage.chat_id == row.chat_id,
                   OutboxMessage.status == "pending")
            .values(status="cancelled")
        )  # fmt: skip
        lang = self.programme.language(row.language)
        if tell_participant:
            key = "trial.withdrawn" if may_use_data else "trial.withdrawn_removed"
            session.add(self._message(row, self.programme.msg(lang, key), now, f"withdrawn:{row.id}"))
        if self.staff_target is not None:
            key = "trial.staff_withdrawn_use" if may_use_data else "trial.staff_withdrawn_no_use"
            staff = self.programme.msg(self.programme.spec.default_language, key, code=row.code)
            payload = {"text": staff, "buttons": [], "image": None}
            session.add(outbox_message(row.id, self.staff_target, payload, now))
        repo.audit(row.id, by, "withdrawn", {"may_use_data": may_use_data}, now)
        log.info("%s withdrawn by %s", code, by)
        return True
