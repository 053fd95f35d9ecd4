"""The trial's side of the conversation: what the engine asked for (``TrialRequest``) done with storage.

The engine collects an application in chat and emits ``TrialRequest("apply", answers)``; the
conversation service hands it here right after the event's commit. ``TrialService.apply`` stores and
assesses it in its own transaction; then, in one more, the participant is told the result in the
content's words (eligible: the interview comes next; not eligible: why, kindly, what happens to their
answers and where to seek help), the engine's view of the stage is updated, and staff get an interview
task in the participant's topic (a relay item the relay posts; ``/interviewed`` closes it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.engine import Engine
from bot.engine.model import TrialRequest
from bot.relay.commands import StaffCommand
from bot.storage.models import OutboxMessage, Participant, RelayItem
from bot.trial.eligibility import Eligibility, not_eligible_text
from bot.trial.mydata import MyData
from bot.trial.service import Allocation, TrialService
from bot.trial.staff_command import interviewed_command
from bot.trial.stage import Stage

if TYPE_CHECKING:
    from bot.conversation.service import ConversationService

log = logging.getLogger(__name__)


class TrialChat:
    """``conversation`` is set once the conversation service exists (it takes ``run`` as its hook)."""

    def __init__(self, trial: TrialService, engine: Engine, mydata: MyData | None = None) -> None:
        self.trial, self.engine, self.mydata = trial, engine, mydata
        self.conversation: ConversationService | None = None

    def register(self, registry: dict[str, StaffCommand]) -> None:
        """Add ``/interviewed`` to the relay's staff commands (bot/trial/staff_command.py)."""
        command = interviewed_command(
            self.trial, self.engine, lambda: self.conversation and self.conversation.decide_in
        )
        registry[command.name] = command

    async def record_interview(self, code: str, outcome: str, reason: str | None, by: str) -> Stage:
        """The staff command ``/interviewed``: store the outcome, then move the participant on at once
        (an include brings the consent, an exclude the content's kind words). ``TrialStateError`` when
        the participant is not waiting for an interview."""
        stage = await self.trial.interviewed(code, outcome, reason, by)
        async with self.trial.db.reading() as session:
            participant_id = await session.scalar(select(Participant.id).where(Participant.code == code))
        if self.conversation is not None and participant_id is not None:
            await self.conversation.nudge(
                participant_id, lambda state, now: self.engine.interviewed(state, outcome, now)
            )
        return stage

    async def run(self, participant_id: int, requests: Sequence[TrialRequest]) -> None:
        """Do what one event's engine turn asked of the trial (called after that event's commit)."""
        for request in requests:
            if request.kind == "apply":
                await self.apply(participant_id, request)
            elif request.kind == "allocate":
                await self.allocate(participant_id)
            elif request.kind == "withdraw":
                await self.withdraw(participant_id, bool(request.answers.get("may_use_data")))
            elif request.kind == "mydata" and self.mydata is not None:
                await self.mydata.send(participant_id)
        if requests:
            self.trial.wake_sender()

    async def allocate(self, participant_id: int) -> Allocation:
        """The draw after the consent (told in the arm's words by ``TrialService``), then the arm's
        calendar starts for the participant."""
        result = await self.trial.allocate(participant_id)
        if self.conversation is not None:
            await self.conversation.nudge(
                participant_id, lambda state, now: self.engine.allocated(state, result.arm, result.allocated_on, now)
            )
        return result

    async def withdraw(self, participant_id: int, may_use_data: bool) -> bool:
        """The participant's own /withdraw: every pending message stops, staff are told, it is audited."""
        async with self.trial.db.reading() as session:
            code = await session.scalar(select(Participant.code).where(Participant.id == participant_id))
        return await self.trial.withdraw(code or f"P-{participant_id:04d}", may_use_data, by="participant")

    async def apply(self, participant_id: int, request: TrialRequest) -> Eligibility:
        result = await self.trial.apply(participant_id, request.answers)
        programme, spec = self.trial.programme, self.trial.spec
        now = self.trial.clock.now()
        async with self.trial.db.transaction() as session:
            row = await session.get(Participant, participant_id, with_for_update=not self.trial.db.is_sqlite)
            assert row is not None  # TrialService.apply has just found it
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
                contact = request.answers.get(spec.contact_question) or "-"
                words = programme.msg(programme.spec.default_language, "trial.staff_to_interview",
                                      code=row.code, contact=contact)  # fmt: skip
                session.add(RelayItem(participant_id=row.id, source="trial:interview", kind="interview", text=words,
                                      status="open", created_at=now, data={}, stage="new", nudges=0))  # fmt: skip
        log.info("application of %s answered: %s", row.code, stage)
        return result


def _message(pid: int, channel: str, chat_id: str, text: str, now: datetime, dedup: str | None) -> OutboxMessage:
    return OutboxMessage(participant_id=pid, channel=channel, chat_id=chat_id,
                         payload={"text": text, "buttons": [], "image": None}, status="pending", attempts=0,
                         not_before=now, dedup_key=dedup, created_at=now)  # fmt: skip
