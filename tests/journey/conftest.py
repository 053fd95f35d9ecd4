"""Journeys walk whole programmes for weeks of fake time through the real service, on SQLite.

The storage code under a walk is the same on both databases and the storage tests run it on PostgreSQL
too; a journey whose point is what storage keeps (withdrawal and erasure, a broken record) asks for
both databases itself with ``db = database_fixture(DB_KINDS)``. This keeps CI within its 15 minutes.

Shared here: ``journey`` (one participant in Telegram and the staff group) and ``tg`` (the staff group's
harness of tests/support/staff_telegram.py).
"""

from __future__ import annotations

import pytest

from bot.bootstrap import conversation_service
from bot.channels.telegram.app import build_application, register_handlers
from bot.channels.telegram.staff import TelegramStaffGateway, register_staff_handlers
from bot.channels.telegram.transport import TelegramTransport
from bot.features import build_engine
from bot.relay.topics import TopicDirectory
from bot.settings import load_settings
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.conftest import database_fixture
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.journey import STAFF, Journey
from tests.support.relay import relay_config, relay_service
from tests.support.staff_telegram import tg  # noqa: F401  (the staff group's Telegram harness, a fixture)

db = database_fixture(["sqlite"])


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
