"""Risk words wherever a participant types them, through the real service on the fake clock.

A participant writes risk text in a diary note, edits an old message into one, asks with /ask and
writes it in a homework field of week 2; an applicant writes it during the application and a
participant after withdrawing. Each time, in the same event, they get the crisis resources (and
nothing after them but the pause), the staff group gets an URGENT alert pinned in the participant's
topic with their own words, and "Carry on" brings back the step they were on.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram import Update

from bot.bootstrap import conversation_service
from bot.channels.telegram.app import build_application, register_handlers
from bot.channels.telegram.staff import TelegramStaffGateway, register_staff_handlers
from bot.channels.telegram.transport import TelegramTransport
from bot.engine import Inbound
from bot.features import build_engine
from bot.relay.topics import TopicDirectory
from bot.settings import load_settings
from bot.storage.models import Participant, RelayItem
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.integration.test_storage import CHAT as TEST_CHAT
from tests.integration.test_trial_chat import TYPED, apply, through_welcome, to_allocation, trial_chat_for
from tests.support.fake_bot_api import FakeBotAPI, callback_update, group_message, text_update
from tests.support.relay import BEN, relay_config, relay_service

CHAT, STAFF = 555, -100200
CARRY_ON = "Carry on when I'm ready"


class Journey:
    """One participant in Telegram and the staff group, over the fake Bot API."""

    def __init__(self, application, api, service, sender, relay, db, programme, clock) -> None:
        self.application, self.api, self.service, self.sender, self.relay = application, api, service, sender, relay
        self.db, self.programme, self.clock = db, programme, clock
        self.update_id = 0

    async def feed(self, data: dict) -> None:
        await self.application.process_update(Update.de_json(data, self.application.bot))
        await self.sender.drain()

    async def settle(self) -> None:
        """What the background loops do after an event: post relay items, then send the outbox."""
        await self.relay.process_pending()
        await self.sender.drain()

    def _next(self) -> int:
        self.update_id += 1
        return self.update_id

    async def text(self, text: str) -> None:
        await self.feed(text_update(self._next(), CHAT, text))

    async def edit(self, text: str, message_id: int) -> None:
        """The participant edits an earlier message of theirs (Telegram's ``edited_message``)."""
        update = text_update(self._next(), CHAT, text)
        message = update.pop("message")
        message["message_id"], message["edit_date"] = message_id, 1767600100
        await self.feed({**update, "edited_message": message})

    def to_participant(self) -> list[dict]:
        return [p for p in self.api.sent() if int(p["chat_id"]) == CHAT]

    def to_staff(self) -> list[dict]:
        return [p for p in self.api.sent() if int(p["chat_id"]) == STAFF]

    def keyboard(self, params: dict) -> list[dict]:
        markup = params.get("reply_markup")
        if not markup:
            return []
        markup = markup if isinstance(markup, dict) else json.loads(markup)
        return [b for row in markup["inline_keyboard"] for b in row]

    async def press(self, label: str | None = None) -> None:
        """A button of the latest message that has it (by label), or the last message's first."""
        if label is None:
            button = self.keyboard(self.to_participant()[-1])[0]
        else:
            sent = reversed(self.to_participant())
            button = next(b for params in sent for b in self.keyboard(params) if b["text"] == label)
        await self.feed(callback_update(self._next(), CHAT, button["callback_data"]))

    async def frame(self) -> dict | None:
        async with self.db.reading() as session:
            row = await session.scalar(select(Participant))
        frames = (row.position or {}).get("frames") or []
        return frames[-1] if frames else None

    async def answer_along(self) -> None:
        """The answer a cooperative participant gives to the last message."""
        labels = [b["text"] for b in self.keyboard(self.to_participant()[-1])]
        if "I agree to take part" in labels:
            await self.press("I agree to take part")
        elif "Continue ›" in labels:
            await self.press("Continue ›")
        elif labels and labels != ["Skip"]:
            await self.press()
        else:
            await self.text("5")

    async def to_typed_field(self, module: str, limit: int = 300) -> dict:
        """Answer along until a field of a form in ``module`` waits for typed words."""
        for _ in range(limit):
            frame = await self.frame()
            labels = [b["text"] for b in self.keyboard(self.to_participant()[-1])]
            typed = not labels or labels == ["Skip"]
            if frame and frame["module"] == module and typed and not frame["daily"]:
                return frame
            await self.answer_along()
        raise AssertionError(f"no typed field in {module}")

    async def alerts(self) -> list[RelayItem]:
        async with self.db.reading() as session:
            return list(await session.scalars(select(RelayItem).where(RelayItem.kind == "safety")))

    async def risk_answered_at_once(self, before: int, words: str) -> None:
        """Since message ``before``: the crisis resources, then only the pause with its button; and
        in the staff group an URGENT alert with the words, pinned in the participant's topic."""
        said = self.to_participant()[before:]
        assert "112" in said[0]["text"] and "90101" in said[0]["text"], "the crisis resources come first"
        assert said[-1]["text"] == self.programme.msg("en", "safety.hold"), "nothing after the crisis but the pause"
        assert [b["text"] for b in self.keyboard(said[-1])] == [CARRY_ON]
        assert len(said) == 2, [s["text"][:60] for s in said]
        pins_before = len(self.api.sent("pinChatMessage"))
        staff_before = len(self.to_staff())
        await self.settle()
        posted = self.to_staff()[staff_before:]
        alert = next((m for m in posted if m["text"].startswith("🚨 URGENT · P-0001")), None)
        assert alert is not None, [m["text"][:80] for m in posted]
        assert words in alert["text"], "the participant's own words"
        assert alert.get("message_thread_id") is not None, "in the participant's own topic"
        assert len(self.api.sent("pinChatMessage")) == pins_before + 1, "pinned"


@pytest.fixture
async def journey(db, programme, clock, monkeypatch):
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    api = FakeBotAPI()
    application = build_application(load_settings(), request=api)
    gateway = TelegramStaffGateway(application.bot, STAFF)
    topics = TopicDirectory(db, clock, str(STAFF), gateway.create_topic, rename=gateway.rename_topic)
    sender = OutboxSender(db, {"telegram": TelegramTransport(application.bot, topics)}, clock, Unlimited())
    service = conversation_service(db, build_engine(programme), clock, timezone="Europe/Stockholm", language="en",
                                  staff_target=("telegram", str(STAFF)), wake_sender=sender.wake.set)  # fmt: skip
    relay = relay_service(db, clock, programme, relay_config("telegram", str(STAFF)), wake=sender.wake.set)
    register_staff_handlers(application, relay)
    register_handlers(application, service)
    await application.initialize()
    yield Journey(application, api, service, sender, relay, db, programme, clock)
    await application.shutdown()


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
