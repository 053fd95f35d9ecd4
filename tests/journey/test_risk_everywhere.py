"""Risk words wherever a participant types them, through the real service on the fake clock.

A participant writes risk text in a diary note, edits an old message into one, asks with /ask and
writes it in a homework field of week 2; an applicant writes it during the application and a
participant after withdrawing. Each time, in the same event, they get the crisis resources (and
nothing after them but the pause), the staff group gets an URGENT alert pinned in the participant's
topic with their own words, and "Carry on" brings back the step they were on.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.engine import Inbound
from bot.storage.models import RelayItem
from tests.support.chat import CHAT as TEST_CHAT
from tests.support.fake_bot_api import group_message
from tests.support.journey import CARRY_ON, STAFF
from tests.support.relay import BEN, relay_config, relay_service
from tests.support.trial_chat import TYPED, apply, through_welcome, to_allocation, trial_chat_for


async def test_risk_words_in_a_diary_note_an_edit_an_ask_and_a_homework_field(journey, programme, clock):
    j = journey
    await j.text("/start")
    diary = await j.to_typed_field("baseline")
    assert diary["step"] == "pain_diary_first", "the first diary entry's note"

    # 1. A diary note.
    before = len(j.to_participant())
    await j.text("I want to kill myself")
    await j.risk_answered_at_once(before, "I want to kill myself")
    await j.text("I just feel so alone")  # during the pause the words reach the team, the pause stays
    assert j.to_participant()[-1]["text"] == programme.msg("en", "safety.hold")
    await j.press(CARRY_ON)
    assert j.to_participant()[-1]["text"] != programme.msg("en", "safety.hold")
    assert (await j.frame())["module"] == "baseline", "back in the module where they were"

    # 2. An edited message.
    before = len(j.to_participant())
    await j.edit("I'm going to end it all tonight", message_id=3)
    await j.risk_answered_at_once(before, "I'm going to end it all tonight")
    await j.press(CARRY_ON)

    # 3. /ask.
    before = len(j.to_participant())
    await j.text("/ask I've been stockpiling my pills")
    await j.risk_answered_at_once(before, "I've been stockpiling my pills")
    await j.press(CARRY_ON)

    # 4. A homework field of week 2.
    for _ in range(300):
        if (await j.frame()) is None:
            break
        await j.answer_along()
    clock.advance(timedelta(days=14, hours=3))
    await j.service.tick_due()
    await j.sender.drain()
    field = await j.to_typed_field("week02")
    before = len(j.to_participant())
    await j.text("What will you do if that happens? I want to kill myself")
    await j.risk_answered_at_once(before, "What will you do if that happens? I want to kill myself")
    await j.press(CARRY_ON)
    after = await j.frame()
    assert after["module"] == "week02" and j.to_participant()[-1]["text"] != programme.msg("en", "safety.hold")
    assert (after["step"], after["part"]) >= (field["step"], 0), "the step they were on, or the next"

    # The staff group: four URGENT alerts waiting; /queue lists them first; /ack says who.
    assert len(await j.alerts()) == 4
    thread = int(j.to_staff()[-1]["message_thread_id"])
    j.update_id += 1
    await j.feed(group_message(j.update_id, STAFF, BEN, "/queue", thread=thread))
    await j.settle()
    queue = j.to_staff()[-1]["text"].splitlines()
    assert queue[1] == "🚨 URGENT, not acknowledged (/ack in the topic):", "open alerts first"
    assert all(line.strip().startswith("P-0001 · URGENT alert") for line in queue[2:6]), queue
    assert "⏸ P-0001 is paused" not in "\n".join(queue), "they carried on: no pause is listed"
    j.update_id += 1
    await j.feed(group_message(j.update_id, STAFF, BEN, "/ack", thread=thread))
    await j.settle()
    assert j.to_staff()[-1]["text"].startswith("✅ Acknowledged by Ben")


@pytest.fixture
def trial_journey(db, programme, clock, sender, transport):
    """An applicant of the trial through the real service, with the relay posting into topics."""
    trial_chat, chat = trial_chat_for(db, programme, clock, sender, transport)
    relay = relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)
    return trial_chat, chat, relay


async def test_risk_words_during_the_application(db, programme, clock, transport, sender,
                                                                      trial_journey):  # fmt: skip
    _, chat, relay = trial_journey
    await through_welcome(chat, programme)
    question = programme.text(programme.trial.questions[0].text, "en")
    await chat.send(Inbound(kind="text", text="honestly I wanna die"))
    texts = transport.texts(TEST_CHAT)
    assert "112" in texts[-2] and "get in touch with you today" in texts[-2], "a concern: warm words, same day"
    assert texts[-1] == question, "asked again, without a 'didn't catch that'"
    await chat.send(Inbound(kind="text", text="I took all my tablets an hour ago"))
    texts = transport.texts(TEST_CHAT)
    assert "112" in texts[-2] and texts[-1] == programme.msg("en", "safety.hold")
    await relay.process_pending()
    await sender.drain()
    alert = next(m for m in transport.sent["staff"] if m["text"].startswith("🚨 URGENT · P-0001"))
    assert "I took all my tablets" in alert["text"]
    concern = next(m for m in transport.sent["staff"] if m["text"].startswith("🟠 Concern · P-0001"))
    assert "honestly I wanna die" in concern["text"] and concern.get("pin") is None, "same day, not pinned"
    assert alert.get("pin") is True and alert["relay"]["participant_id"] == 1
    assert "application" in alert["text"], "staff see where it was written"
    await chat.press(CARRY_ON)
    assert transport.texts(TEST_CHAT)[-1] == question, "the interrupted question comes back"
    await apply(chat, programme, TYPED)
    assert transport.texts(TEST_CHAT)[-1] == programme.text(programme.trial.words.to_interview, "en")


async def test_risk_words_after_withdrawal_still_reach_the_team_at_once(db, programme, clock, transport, sender,
                                                                       trial_journey):  # fmt: skip
    trial_chat, chat, relay = trial_journey
    await to_allocation(chat, programme, trial_chat, sender, transport, "treatment", clock)
    await chat.send(Inbound(kind="command", text="withdraw"))
    await chat.press(programme.msg("en", "trial.withdraw_no_use"))
    assert transport.texts(TEST_CHAT)[-1] == programme.msg("en", "trial.withdrawn_removed")
    await chat.send(Inbound(kind="text", text="I feel like killing myself"))
    texts = transport.texts(TEST_CHAT)
    assert "112" in texts[-2] and texts[-1] == programme.msg("en", "safety.hold")
    await relay.process_pending()
    await sender.drain()
    alert = next(m for m in transport.sent["staff"] if m["text"].startswith("🚨 URGENT · P-0001"))
    assert "I feel like killing myself" in alert["text"]
    assert "after withdrawal" in alert["text"] and alert.get("pin") is True
    async with db.reading() as session:
        kinds = [i.kind for i in await session.scalars(select(RelayItem))]
    assert "question" not in kinds, "not filed as an ordinary question with a two-day target"
    await chat.press(CARRY_ON)
    assert transport.texts(TEST_CHAT)[-1] == programme.msg("en", "trial.withdrawn_here")
