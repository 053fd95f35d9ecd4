"""The trial's side of the conversation: what the engine asked for (``TrialRequest``) done with storage.

The engine collects an application in chat and emits ``TrialRequest("apply", answers)``; the
conversation service writes it in the event's transaction and hands it here as a durable request
(``bot/conversation/requests.py``). In that request's one transaction ``TrialService.apply_in`` stores
and assesses it, the participant is told the result in the content's words (eligible: the interview
comes next; not eligible: why, kindly, what happens to their answers and where to seek help), the
engine's view of the stage is updated, and staff get an interview task in the
participant's topic (a relay item the relay posts; ``/interviewed`` closes it).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import Engine
from bot.engine.model import TrialRequest
from bot.relay.commands import StaffCommand
from bot.storage.models import OutboxMessage, Participant, RelayItem
from bot.storage.outbox import outbox_message
from bot.storage.repository import to_state
from bot.storage.tables_trial import TrialAllocation, TrialRequestRow, TrialWithdrawal
from bot.trial.eligibility import Eligibility, not_eligible_text
from bot.trial.mydata import MyData
from bot.trial.service import Allocation, TrialService
from bot.trial.staff_command import DecideIn, interviewed_command
from bot.trial.stage import Stage

log = logging.getLogger(__name__)


class TrialChat:
    """``decide_in`` runs one engine decision for a participant inside the caller's transaction
    (``bot/conversation/decisions.py``, handed in by the composition root: the trial knows no
    conversation service)."""

    def __init__(self, trial: TrialService, engine: Engine, decide_in: DecideIn, mydata: MyData | None = None) -> None:
        self.trial, self.engine, self.decide_in, self.mydata = trial, engine, decide_in, mydata

    def register(self, registry: dict[str, StaffCommand]) -> None:
        """Add ``/interviewed`` to the relay's staff commands (bot/trial/staff_command.py)."""
        command = interviewed_command(self.trial, self.engine, self.decide_in)
        registry[command.name] = command

    async def record_interview(self, code: str, outcome: str, reason: str | None, by: str) -> Stage:
        """The staff command ``/interviewed``: store the outcome, then move the participant on at once
        (an include brings the consent, an exclude the content's kind words). ``TrialStateError`` when
        the participant is not waiting for an interview."""
        stage = await self.trial.interviewed(code, outcome, reason, by)
        async with self.trial.db.reading() as session:
            participant_id = await session.scalar(select(Participant.id).where(Participant.code == code))
        if participant_id is not None:
            async with self.trial.db.transaction() as session:
                await self.decide_in(
                    session, participant_id, lambda state, now: self.engine.interviewed(state, outcome, now)
                )
            self.trial.wake_sender()
        return stage

    async def run(self, session: AsyncSession, participant_id: int, request: TrialRequest) -> None:
        """Do one thing an event asked of the trial, inside the durable request's transaction
        (``bot/conversation/requests.py``): all of it commits with ``status = done``, or none of it."""
        if request.kind == "apply":
            await self.apply(session, participant_id, request)
        elif request.kind == "allocate":
            await self.allocate(session, participant_id)
        elif request.kind == "withdraw":
            await self.withdraw(session, participant_id, bool(request.answers.get("may_use_data")))
        elif request.kind == "mydata" and self.mydata is not None:
            await self.mydata.send(session, participant_id)
        self.trial.wake_sender()  # woken before the commit, the sender finds the rows when it has run

    async def allocate(self, session: AsyncSession, participant_id: int) -> Allocation:
        """The draw after the consent (told in the arm's words by ``TrialService``), then the arm's
        calendar starts for the participant, in the same transaction."""
        result = await self.trial.allocate_in(session, participant_id)
        await self.decide_in(
            session, participant_id,
            lambda state, now: self.engine.allocated(state, result.arm, result.allocated_on, now),
        )  # fmt: skip
        return result

    async def draws_due(self) -> int:
        """Ask for the draw of everyone whose baseline is done (or whose baseline window has closed):
        run after each sweep, before the pending trial requests are done. For each, in one transaction,
        the engine marks the draw requested and a durable ``allocate`` request is written, so the draw
        itself is done (once, and told once) like any other trial request. Returns how many."""
        now = self.trial.clock.now()
        async with self.trial.db.reading() as session:
            rows = (
                await session.scalars(
                    select(Participant)
                    .where(Participant.status == "active", Participant.start_date.is_not(None))
                    .where(~select(TrialAllocation.id).where(TrialAllocation.participant_id == Participant.id).exists())
                    .where(~select(TrialWithdrawal.id).where(TrialWithdrawal.participant_id == Participant.id).exists())
                )
            ).all()
            due = [row.id for row in rows if self.engine.draw_due(to_state(row), now)]
        for participant_id in due:
            async with self.trial.db.transaction() as session:
                await self.decide_in(session, participant_id, self.engine.request_draw)
                session.add(TrialRequestRow(participant_id=participant_id, kind="allocate", answers={},
                                            status="pending", attempts=0, created_at=now))  # fmt: skip
        return len(due)

    async def withdraw(self, session: AsyncSession, participant_id: int, may_use_data: bool) -> bool:
        """The participant's own /withdraw: every pending message stops, staff are told, it is audited."""
        code = await session.scalar(select(Participant.code).where(Participant.id == participant_id))
        return await self.trial.withdraw_in(session, code or f"P-{participant_id:04d}", may_use_data,
                                            by="participant")  # fmt: skip

    async def apply(self, session: AsyncSession, participant_id: int, request: TrialRequest) -> Eligibility:
        """Store and assess the application, tell the applicant the result and staff whom to call."""
        result = await self.trial.apply_in(session, participant_id, request.answers)
        programme, spec = self.trial.programme, self.trial.spec
        now = self.trial.clock.now()
        row = await session.get(Participant, participant_id, with_for_update=not self.trial.db.is_sqlite)
        assert row is not None  # TrialService.apply_in has just found it
        lang = programme.language(row.language)
        if result.eligible:
            text, stage = programme.text(spec.words.to_interview, lang), "to_interview"
        else:
            text = not_eligible_text(spec, result, lambda value: programme.text(value, lang))
            stage = "not_eligible"
        row.position = {**(row.position or {}), "trial_stage": stage}
        session.add(_message(row.id, row.channel, row.chat_id, text, now, f"applied:{row.id}:{stage}"))
        staff = self.trial.staff_target
        if result.eligible and staff is not None:
            contact = spec.contact_of(request.answers) or "-"
            words = programme.msg(programme.spec.default_language, "trial.staff_to_interview",
                                  code=row.code, contact=contact)  # fmt: skip
            session.add(RelayItem(participant_id=row.id, source="trial:interview", kind="interview", text=words,
                                  status="open", created_at=now, data={}, stage="new", nudges=0))  # fmt: skip
        log.info("application of %s answered: %s", row.code, stage)
        return result


def _message(pid: int, channel: str, chat_id: str, text: str, now: datetime, dedup: str | None) -> OutboxMessage:
    return outbox_message(pid, (channel, chat_id), {"text": text, "buttons": [], "image": None}, now, dedup_key=dedup)
