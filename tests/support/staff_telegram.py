"""A participant and the staff group in Telegram over the fake Bot API, with the relay between them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select
from telegram import Update

from bot.bootstrap import conversation_service
from bot.channels.telegram.app import build_application, register_handlers
from bot.channels.telegram.staff import TelegramStaffGateway, register_staff_handlers
from bot.channels.telegram.transport import TelegramTransport
from bot.features import build_engine
from bot.relay.topics import TopicDirectory
from bot.settings import load_settings
from bot.storage.models import Participant
from bot.storage.tables_relay import RelayTopic
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.support.fake_bot_api import FakeBotAPI, group_message, text_update
from tests.support.relay import ANNA, active_participant, relay_config, relay_service

CHAT = 555
STAFF = -100200


class StaffHarness:
    def __init__(self, application, api, service, sender, relay, topics, db) -> None:
        self.application, self.api, self.service, self.sender = application, api, service, sender
        self.relay, self.topics, self.db = relay, topics, db
        self.update_id = 0

    async def feed(self, data: dict) -> None:
        await self.application.process_update(Update.de_json(data, self.application.bot))
        await self.settle()

    async def settle(self) -> None:
        """What the background loops do after an event: post relay items, then send the outbox."""
        await self.relay.process_pending()
        await self.sender.drain()

    async def staff(self, text: str = "", user: int = ANNA, **kw) -> None:
        self.update_id += 1
        await self.feed(group_message(self.update_id, STAFF, user, text, **kw))

    async def participant(self) -> Participant:
        p = await active_participant(self.service, chat=str(CHAT), channel="telegram")
        await self.sender.drain()
        return p

    async def ask(self, text: str) -> None:
        self.update_id += 1
        await self.feed(text_update(self.update_id, CHAT, f"/ask {text}"))

    def to_staff(self, method: str = "sendMessage") -> list[dict]:
        return [p for p in self.api.sent(method) if int(p["chat_id"]) == STAFF]

    def to_participant(self, method: str = "sendMessage") -> list[dict]:
        return [p for p in self.api.sent(method) if int(p["chat_id"]) == CHAT]

    async def thread(self, participant_id: int) -> int | None:
        async with self.db.reading() as session:
            return await session.scalar(select(RelayTopic.thread_id).where(RelayTopic.participant_id == participant_id))


@asynccontextmanager
async def telegram_stack(db, programme, clock, monkeypatch) -> AsyncIterator[StaffHarness]:
    """A participant's chat and the staff group in Telegram over the fake Bot API, built as the
    runner builds them: the service, the sender with the topics, the relay and PTB's handlers."""
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings()
    api = FakeBotAPI()
    application = build_application(settings, request=api)
    gateway = TelegramStaffGateway(application.bot, STAFF)
    topics = TopicDirectory(db, clock, str(STAFF), gateway.create_topic, rename=gateway.rename_topic,
                            made_nothing=gateway.made_nothing)  # fmt: skip
    sender = OutboxSender(db, {"telegram": TelegramTransport(application.bot, topics)}, clock, Unlimited())
    service = conversation_service(db, build_engine(programme), clock, timezone="Europe/Stockholm", language="en",
                                  staff_target=("telegram", str(STAFF)), wake_sender=sender.wake.set)  # fmt: skip
    relay = relay_service(db, clock, programme, relay_config("telegram", str(STAFF)), wake=sender.wake.set)
    register_staff_handlers(application, relay)
    register_handlers(application, service)
    await application.initialize()
    try:
        yield StaffHarness(application, api, service, sender, relay, topics, db)
    finally:
        await application.shutdown()


@pytest.fixture
async def tg(db, programme, clock, monkeypatch):
    async with telegram_stack(db, programme, clock, monkeypatch) as harness:
        yield harness
