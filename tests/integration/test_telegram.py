"""The Telegram channel: a real PTB Application and Bot over a fake Bot API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram import Update

from bot.bootstrap import conversation_service
from bot.channels.telegram.app import build_application, register_handlers
from bot.channels.telegram.transport import TelegramTransport, split_text
from bot.features import build_engine
from bot.measures.scoring import score
from bot.measures.store import store_score
from bot.settings import load_settings
from bot.storage.models import Answer, AuditEntry, OutboxMessage, Participant
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_relay import RelayTopic
from bot.trial.privacy import ParticipantData
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.support.fake_bot_api import FakeBotAPI, callback_update, text_update

CHAT = 555
BASE_URL = "http://127.0.0.1:8081/bot"


class TelegramHarness:
    def __init__(self, application, api: FakeBotAPI, service, sender) -> None:
        self.application, self.api, self.service, self.sender = application, api, service, sender
        self.update_id = 0

    async def feed(self, data: dict) -> None:
        await self.application.process_update(Update.de_json(data, self.application.bot))
        await self.sender.drain()

    async def text(self, text: str) -> None:
        self.update_id += 1
        await self.feed(text_update(self.update_id, CHAT, text))

    def last_keyboard(self) -> list[dict]:
        for params in reversed(self.api.sent()):
            markup = params.get("reply_markup")
            if markup:
                markup = markup if isinstance(markup, dict) else json.loads(markup)
                return [b for row in markup["inline_keyboard"] for b in row]
        raise AssertionError("no keyboard sent")

    async def press(self, label: str | None = None) -> None:
        buttons = self.last_keyboard()
        button = buttons[0] if label is None else next(b for b in buttons if b["text"] == label)
        self.update_id += 1
        await self.feed(callback_update(self.update_id, CHAT, button["callback_data"]))


@pytest.fixture
async def tg(db, programme, clock, monkeypatch):
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", BASE_URL)
    settings = load_settings()
    api = FakeBotAPI()
    application = build_application(settings, request=api)
    sender = OutboxSender(db, {"telegram": TelegramTransport(application.bot)}, clock, Unlimited())
    service = conversation_service(db, build_engine(programme), clock, timezone="Europe/Stockholm", language="en",
                                  staff_target=("telegram", "-100200"), wake_sender=sender.wake.set)  # fmt: skip
    register_handlers(application, service)
    await application.initialize()
    yield TelegramHarness(application, api, service, sender)
    await application.shutdown()


async def test_start_consent_module_page_button_answer_stored(tg, db, programme):
    await tg.text("/start")
    first = tg.api.sent()[0]
    assert int(first["chat_id"]) == CHAT and "welcome" in first["text"].lower()
    assert all(c.url.startswith(BASE_URL) for c in tg.api.calls), "the configured Bot API base URL is used"
    for _ in range(15):
        labels = [b["text"] for b in tg.last_keyboard()]
        if "I agree to take part" in labels:
            break
        await tg.press()
    await tg.press("I agree to take part")
    assert any("Getting started" in p["text"] for p in tg.api.sent()), "the baseline module page arrives"
    await tg.press()  # a module page's Next button
    callbacks = [c for c in tg.api.calls if c.method == "answerCallbackQuery"]
    presses = tg.update_id - 1
    assert len(callbacks) == presses, "every callback query is answered"
    for params in tg.api.sent():
        markup = params.get("reply_markup")
        if markup:
            markup = markup if isinstance(markup, dict) else json.loads(markup)
            assert all(len(b["callback_data"].encode()) <= 64 for row in markup["inline_keyboard"] for b in row)
    async with db.reading() as session:
        answers = list(await session.scalars(select(Answer)))
        row = (await session.scalars(select(Participant))).one()
    assert any(
        a.module_id == "consent" and a.value == "agree" and a.content_version == programme.version for a in answers
    )
    assert (row.channel, row.chat_id, row.status) == ("telegram", str(CHAT), "active")


async def test_redelivered_update_is_a_no_op(tg):
    await tg.feed(text_update(1, CHAT, "/start"))
    sent = len(tg.api.sent())
    await tg.feed(text_update(1, CHAT, "/start"))
    assert len(tg.api.sent()) == sent


async def test_group_messages_do_not_enter_the_participant_engine(tg, db):
    await tg.feed(text_update(1, -100200, "hello", chat_type="supergroup"))
    async with db.reading() as session:
        assert (await session.scalars(select(Participant))).all() == []
    assert tg.api.sent() == []


async def test_free_text_question_is_copied_to_the_staff_group(tg, db, clock, programme):
    from tests.support.relay import relay_config, relay_service

    await tg.text("/start")
    await tg.text("/ask Can I keep going to the gym?")
    await relay_service(db, clock, programme, relay_config("telegram", "-100200")).process_pending()
    await tg.sender.drain()
    staff = [p for p in tg.api.sent() if int(p["chat_id"]) == -100200]
    assert staff and "Can I keep going to the gym?" in staff[-1]["text"]


async def test_long_text_is_split_with_buttons_on_the_last_part(tg):
    transport = TelegramTransport(tg.application.bot)
    text = ("A calm sentence about pacing. " * 30 + "\n\n") * 12
    payload = {"text": text, "buttons": [[{"label": "Next ›", "data": "abc|next"}]], "image": None}
    await transport.send(str(CHAT), payload)
    parts = tg.api.sent()
    assert len(parts) == len(split_text(text)) >= 2
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert all("reply_markup" not in p for p in parts[:-1]) and parts[-1].get("reply_markup")
    assert "".join(p["text"] for p in parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


async def test_429_retry_after_is_obeyed_and_403_marks_unreachable(tg, db, clock):
    tg.api.errors.append((429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                                "parameters": {"retry_after": 7}}))  # fmt: skip
    await tg.text("/start")
    async with db.reading() as session:
        row = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).first()
    assert row.status == "pending" and row.attempts == 1
    assert (row.not_before - clock.now()).total_seconds() == 7
    assert await tg.sender.drain() == 0, "nothing goes out before retry_after has passed"
    clock.advance(timedelta(seconds=7))
    assert await tg.sender.drain() >= 1
    tg.api.errors.append(
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    )
    await tg.text("/help")
    async with db.reading() as session:
        participant = (await session.scalars(select(Participant))).one()
        failed = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))).all()
    assert participant.unreachable is True
    assert "blocked" in failed[0].last_error
    assert all(f.last_error == "participant unreachable" for f in failed[1:]), "the rest of that reply is not tried"


async def test_a_pressed_keyboard_is_removed_so_old_buttons_never_look_tappable(tg):
    await tg.text("/start")
    await tg.press()
    edits = [c for c in tg.api.calls if c.method == "editMessageReplyMarkup"]
    assert len(edits) == 1 and int(edits[0].params["chat_id"]) == CHAT and int(edits[0].params["message_id"]) == 1
    assert "reply_markup" not in edits[0].params or not edits[0].params["reply_markup"]


async def test_erasure_deletes_the_staff_topic_through_the_bot_api_and_the_scores_and_charts(
    tg, db, programme, clock, tmp_path
):
    await tg.text("/start")
    charts = tmp_path / "charts"
    charts.mkdir()
    (charts / "P-0001-1.png").write_bytes(b"a chart of P-0001")
    (charts / "P-0012-1.png").write_bytes(b"someone else's chart")
    async with db.transaction() as session:
        session.add(RelayTopic(participant_id=1, chat_id="-100200", thread_id=4321, name="P-0001",
                               created_at=clock.now()))  # fmt: skip
        phq9 = programme.instruments["phq9"]
        await store_score(session, 1, "baseline", "phq9", score(phq9, {i.id: 1 for i in phq9.items}), "v", clock.now())
    data = ParticipantData(db, programme, clock, retention_days=30, outbox_purge_days=7, charts_dir=charts,
                           staff_chat=("telegram", "-100200"))  # fmt: skip
    erasure = await data.erase("P-0001", by="admin:alice")
    await tg.sender.drain()
    assert [int(p["message_thread_id"]) for p in tg.api.sent("deleteForumTopic")] == [4321]
    assert erasure.removed["scores"] == 1 and erasure.removed["chart files"] == 1
    assert not (charts / "P-0001-1.png").exists() and (charts / "P-0012-1.png").exists()
    async with db.reading() as session:
        assert await session.scalar(select(ScoreRow)) is None and await session.scalar(select(RelayTopic)) is None
        tombstone = await session.scalar(select(Participant))
        erased = await session.scalar(select(AuditEntry).where(AuditEntry.action == "erased"))
    assert (tombstone.code, tombstone.status, tombstone.chat_id) == ("P-0001", "erased", "erased-1")
    assert (erased.actor, erased.at) == ("admin:alice", clock.now())
