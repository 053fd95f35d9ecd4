"""Refusals through real python-telegram-bot over the fake Bot API: the staff group refusing the bot
never touches the participant and is retried and reported; a participant who blocked the bot is
marked unreachable once and the relay is told."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.request import RequestData

from bot.bootstrap import conversation_service
from bot.channels.telegram.app import build_application, register_handlers
from bot.channels.telegram.transport import TelegramTransport
from bot.features import build_engine
from bot.settings import load_settings
from bot.storage.models import AuditEntry, OutboxMessage, Participant
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender, report_undelivered_staff
from tests.support.fake_bot_api import Call, FakeBotAPI, text_update

CHAT, STAFF = 555, -100200
KICKED = (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was kicked from the supergroup chat"})
NOT_FOUND = (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
BLOCKED = (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})


@dataclass
class RefusingBotAPI(FakeBotAPI):
    """The fake Bot API, where a chat can refuse every message until told otherwise."""

    refusing: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        if endpoint.startswith("send") and int(params.get("chat_id", 0)) in self.refusing:
            self.calls.append(Call(url=url, method=endpoint, params=params))
            status, body = self.refusing[int(params["chat_id"])]
            return status, json.dumps(body).encode()
        return await super().do_request(url, method, request_data, **kwargs)


@dataclass
class Harness:
    application: Any
    api: RefusingBotAPI
    sender: OutboxSender
    unreachable: list[int]
    update_id: int = 0

    async def text(self, text: str) -> None:
        self.update_id += 1
        await self.application.process_update(
            Update.de_json(text_update(self.update_id, CHAT, text), self.application.bot)
        )
        await self.sender.drain()

    def delivered(self, chat: int) -> list[str]:
        return [
            c.params.get("text", "")
            for c in self.api.calls
            if c.method == "sendMessage" and int(c.params["chat_id"]) == chat
        ]


@pytest.fixture
async def tg(db, programme, clock, monkeypatch):
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    api = RefusingBotAPI()
    application = build_application(load_settings(), request=api)
    unreachable: list[int] = []

    async def on_unreachable(participant_id: int) -> None:
        unreachable.append(participant_id)

    sender = OutboxSender(db, {"telegram": TelegramTransport(application.bot)}, clock, Unlimited(),
                          on_unreachable=on_unreachable)  # fmt: skip
    service = conversation_service(db, build_engine(programme), clock, timezone="Europe/Stockholm", language="en",
                                  staff_target=("telegram", str(STAFF)), wake_sender=sender.wake.set)  # fmt: skip
    register_handlers(application, service)
    await application.initialize()
    yield Harness(application, api, sender, unreachable)
    await application.shutdown()


async def participant(db) -> Participant:
    async with db.reading() as session:
        return (await session.scalars(select(Participant))).one()


async def staff_rows(db) -> list[OutboxMessage]:
    async with db.reading() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == str(STAFF))))


@pytest.mark.parametrize("refusal", [KICKED, NOT_FOUND], ids=["403-kicked", "400-chat-not-found"])
async def test_a_staff_refusal_never_marks_the_participant_and_is_retried_and_reported(tg, db, clock, caplog, refusal):
    tg.api.refusing[STAFF] = refusal
    await tg.text("/start")
    with caplog.at_level(logging.ERROR, logger="scheduler.sender"):
        # what the relay posts for a question: a staff-group row with no participant on it
        async with db.transaction() as session:
            session.add(OutboxMessage(participant_id=None, channel="telegram", chat_id=str(STAFF), status="pending",
                                      payload={"text": "P-0001 asks: Is it fine to rest for a day?", "buttons": []},
                                      attempts=0, not_before=clock.now(), created_at=clock.now()))  # fmt: skip
        await tg.sender.drain()
    assert (await participant(db)).unreachable is False
    assert tg.unreachable == []
    [row] = await staff_rows(db)
    assert (row.status, row.attempts, row.refused_at) == ("pending", 1, clock.now()), "not dropped"
    assert row.not_before == clock.now() + timedelta(minutes=1)
    assert any(r.levelno == logging.ERROR and "refused" in r.getMessage() for r in caplog.records)
    assert "Is it fine" not in caplog.text, "what a participant wrote never reaches the log"

    clock.advance(timedelta(minutes=1))
    await tg.sender.drain()
    [row] = await staff_rows(db)
    assert (row.attempts, row.not_before) == (2, clock.now() + timedelta(minutes=2)), "with back-off"

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="scheduler.sender"):
        assert await report_undelivered_staff(db, clock) == 1
    assert "1 staff messages undelivered since 2026-01-05 07:00 UTC" in caplog.text

    del tg.api.refusing[STAFF]  # the bot is back in the group
    clock.advance(timedelta(minutes=2))
    await tg.sender.drain()
    [row] = await staff_rows(db)
    assert row.status == "sent" and "Is it fine to rest for a day?" in tg.delivered(STAFF)[-1]
    assert await report_undelivered_staff(db, clock) == 0


async def test_a_participant_who_blocked_the_bot_is_marked_unreachable_once(tg, db, clock):
    await tg.text("/start")
    tg.api.refusing[CHAT] = BLOCKED
    await tg.text("/help")
    await tg.text("/help")
    assert (await participant(db)).unreachable is True
    assert tg.unreachable == [(await participant(db)).id], "the relay is told once, not per message"
    async with db.reading() as session:
        audit = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "unreachable")))
    assert len(audit) == 1
