"""Odd input gets a kind answer and loses nothing (real service on SQLite and PostgreSQL): a number
thousands of digits long is asked again, and the withdrawal's buttons act only as the answer to the
question just asked (a forged or an earlier question's button changes nothing)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.engine import Inbound
from bot.engine.fields import parse_number, whole_number
from bot.storage.models import Participant
from bot.storage.tables_trial import TrialWithdrawal
from tests.support.chat import CHAT
from tests.support.trial_chat import TYPED, through_welcome, to_allocation, trial_chat_for

HUGE = "9" * 5000  # Python's int() refuses more than 4,300 digits


def test_a_number_longer_than_any_answer_is_not_a_number():
    assert whole_number(HUGE) is None and parse_number(HUGE) is None and parse_number("-" + HUGE) is None
    assert whole_number("²") is None  # a digit to str.isdigit, not to int()
    assert whole_number(" 7 ") == 7 and parse_number("7,5") == 7.5


async def test_a_huge_number_in_the_screen_is_asked_again_kindly(db, programme, clock, sender, transport):
    _, chat = trial_chat_for(db, programme, clock, sender, transport)
    await through_welcome(chat, programme)
    questions = {programme.text(q.text, "en"): q.id for q in programme.trial.questions}
    while transport.sent[CHAT][-1]["text"] in questions:
        await chat.send(Inbound(kind="text", text=TYPED[questions[transport.sent[CHAT][-1]["text"]]]))
    item = transport.sent[CHAT][-1]["text"]
    assert item.startswith("Question ")
    await chat.send(Inbound(kind="text", text=HUGE))
    texts = transport.texts(CHAT)
    assert texts[-2] == programme.msg("en", "reprompt.number", min="0", max="3")
    assert texts[-1] == item  # the same question again; nothing lost
    async with db.reading() as session:
        assert (await session.scalar(select(Participant))).quarantined_at is None


async def _withdrawn(db) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count(TrialWithdrawal.id)))


async def test_withdrawal_buttons_act_only_for_the_question_just_asked(db, programme, clock, sender, transport):
    trial_chat, chat = trial_chat_for(db, programme, clock, sender, transport)
    await to_allocation(chat, programme, trial_chat, sender, transport, "treatment", clock)
    stale, ask = programme.msg("en", "trial.withdraw_stale"), programme.msg("en", "trial.withdraw_ask")

    def said(text: str) -> int:
        return transport.texts(CHAT).count(text)

    def buttons_asked() -> list[str]:
        question = next(p for p in reversed(transport.sent[CHAT]) if p["text"] == ask)
        return [b["data"] for row in question["buttons"] for b in row]

    await chat.send(Inbound(kind="choice", text="WD|use"))  # forged: nobody asked
    assert said(stale) == 1
    await chat.send(Inbound(kind="command", text="withdraw"))
    first = buttons_asked()
    await chat.send(Inbound(kind="choice", text="WD|no_use|0000000000"))  # a guessed token
    assert said(stale) == 2
    await chat.send(Inbound(kind="command", text="withdraw"))  # asked again: the first buttons are stale
    second = buttons_asked()
    assert first != second
    await chat.send(Inbound(kind="choice", text=first[0]))
    assert said(stale) == 3 and await _withdrawn(db) == 0
    async with db.reading() as session:
        assert (await session.scalar(select(Participant))).status == "active"
    await chat.send(Inbound(kind="choice", text=second[1]))  # "do not use my answers", as asked now
    assert await _withdrawn(db) == 1
    assert said(programme.msg("en", "trial.withdrawn_removed")) == 1
    await chat.send(Inbound(kind="choice", text=second[0]))  # the same question's other button, later
    assert await _withdrawn(db) == 1
