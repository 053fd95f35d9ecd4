"""What an event asks of the trial is written with the event and done exactly once (real service on
SQLite and PostgreSQL): a fault at either boundary of a step (after the event's commit, or inside the
step's own transaction) loses nothing, the next sweep does it, and staff and the participant are told
once; a step that can never be done is marked failed and staff are told."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.engine import Inbound
from bot.engine.model import TrialRequest
from bot.errors import TrialStateError
from bot.storage.models import Participant, RelayItem
from bot.storage.tables_trial import TrialAllocation, TrialApplication, TrialRequestRow, TrialWithdrawal
from tests.support.chat import CHAT
from tests.support.trial_chat import TYPED, apply, through_welcome, to_allocation, told


class FaultOnce:
    """The real step with one fault for one kind of request: ``before`` it runs (the process died after
    the event's commit) or ``inside`` its transaction after its writes (the commit never happened)."""

    def __init__(self, step, kind: str, where: str) -> None:
        self.step, self.kind, self.where, self.fired = step, kind, where, False

    async def __call__(self, session, participant_id: int, request: TrialRequest) -> None:
        armed = request.kind == self.kind and not self.fired
        if armed and self.where == "before":
            self.fired = True
            raise ConnectionResetError("the database went away")
        await self.step(session, participant_id, request)
        if armed and self.where == "inside":
            self.fired = True
            await session.flush()  # the step's rows reached the database; its commit never comes
            raise ConnectionResetError("the database went away")


async def _count(db, model) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _statuses(db) -> list[str]:
    async with db.reading() as session:
        return list(await session.scalars(select(TrialRequestRow.status).order_by(TrialRequestRow.id)))


async def _sweep(chat) -> None:
    await chat.service.tick_due()
    await chat.sender.drain()


@pytest.mark.parametrize("where", ["before", "inside"])
async def test_an_application_survives_a_fault_at_either_boundary_and_staff_are_told_once(
    db, programme, pair, transport, where
):
    trial_chat, chat = pair
    chat.service.requests.step = FaultOnce(trial_chat.run, "apply", where)
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED)
    to_interview = programme.text(programme.trial.words.to_interview, "en")
    assert to_interview not in transport.texts(CHAT)  # not done yet, and nobody told it was
    assert await _count(db, TrialApplication) == 0 and await _statuses(db) == ["pending"]
    await _sweep(chat)
    await _sweep(chat)  # a second sweep finds nothing left to do
    assert await _count(db, TrialApplication) == 1 and await _statuses(db) == ["done"]
    assert transport.texts(CHAT).count(to_interview) == 1
    async with db.reading() as session:  # staff are told through the relay (the participant's topic)
        staff = list(await session.scalars(select(RelayItem.text).where(RelayItem.kind == "interview")))
    assert len(staff) == 1 and "P-0001" in staff[0] and "070-123 45 67; Weekday mornings" in staff[0]
    await chat.send(Inbound(kind="command", text="start"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.start_waiting")


@pytest.mark.parametrize("where", ["before", "inside"])
async def test_the_draw_survives_a_fault_at_either_boundary_and_is_told_once(
    db, programme, pair, sender, transport, clock, where
):
    trial_chat, chat = pair
    chat.service.requests.step = FaultOnce(trial_chat.run, "allocate", where)
    await to_allocation(chat, programme, trial_chat, sender, transport, "treatment", clock)
    assert await _count(db, TrialAllocation) == 0
    await _sweep(chat)
    await _sweep(chat)
    assert await _count(db, TrialAllocation) == 1
    assert [t.strip() for t in transport.texts(CHAT)].count(told(programme, "treatment")) == 1
    async with db.reading() as session:
        assert (await session.scalar(select(Participant))).status == "active"  # the arm's calendar started


@pytest.mark.parametrize("where", ["before", "inside"])
async def test_a_withdrawal_survives_a_fault_at_either_boundary_and_staff_are_told_once(
    db, programme, pair, sender, transport, clock, where
):
    trial_chat, chat = pair
    chat.service.requests.step = FaultOnce(trial_chat.run, "withdraw", where)
    await to_allocation(chat, programme, trial_chat, sender, transport, "treatment", clock)
    await chat.send(Inbound(kind="command", text="withdraw"))
    await chat.press(programme.msg("en", "trial.withdraw_no_use"))
    assert await _count(db, TrialWithdrawal) == 0
    await _sweep(chat)
    await _sweep(chat)
    assert await _count(db, TrialWithdrawal) == 1
    staff_words = programme.msg("en", "trial.staff_withdrawn_no_use", code="P-0001")
    assert transport.texts("staff").count(staff_words) == 1
    assert transport.texts(CHAT).count(programme.msg("en", "trial.withdrawn_removed")) == 1


async def test_a_step_that_can_never_be_done_is_marked_failed_and_staff_are_told(
    db, programme, pair, sender, transport, caplog
):
    chat = pair[1]

    async def refuse(session, participant_id, request):
        raise TrialStateError("P-0001 is at stage 'to_interview'; the draw needs an include and consent")

    await through_welcome(chat, programme)
    chat.service.requests.step = refuse
    with caplog.at_level(logging.ERROR):
        await apply(chat, programme, TYPED)
    await _sweep(chat)
    assert await _statuses(db) == ["failed"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    staff = transport.texts("staff")
    assert len(staff) == 1 and "P-0001" in staff[0] and "apply" in staff[0]


async def test_a_done_request_keeps_no_answers(db, programme, pair, transport):
    chat = pair[1]
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "contact": "Heron-5521 call 0701234567"})
    async with db.reading() as session:
        request = await session.scalar(select(TrialRequestRow))
    assert request.status == "done" and request.answers == {}
