"""Fixtures shared by the integration tests: the relay, the trial service, the trial in the chat, a site
with people at every stage and the staff group in Telegram (``tg``)."""

from __future__ import annotations

import asyncio

import pytest

from bot.trial.chat import TrialChat
from bot.trial.service import TrialService
from tests.conftest import sqlite_url
from tests.support.chat import Driver
from tests.support.relay import FakeTopics, relay_config, relay_service
from tests.support.staff_telegram import tg  # noqa: F401  (the staff group's Telegram harness, a fixture)
from tests.support.trial import SEED, populate
from tests.support.trial_chat import trial_chat_for


@pytest.fixture
def trial(db, programme, clock, sender) -> TrialService:
    return TrialService(db, programme, clock, seed=SEED, staff_target=("test", "staff"), wake_sender=sender.wake.set)


@pytest.fixture
def site(tmp_path, monkeypatch, programme, clock) -> str:
    """Five people at different stages, written through the trial service; the database URL."""
    monkeypatch.setenv("ICBT_DATABASE_URL", sqlite_url(tmp_path))
    asyncio.run(populate(tmp_path, programme, clock))
    return sqlite_url(tmp_path)


@pytest.fixture
def pair(db, programme, clock, sender, transport) -> tuple[TrialChat, Driver]:
    return trial_chat_for(db, programme, clock, sender, transport)


@pytest.fixture
def trial_chat(pair) -> TrialChat:
    return pair[0]


@pytest.fixture
def chat(pair) -> Driver:
    return pair[1]


@pytest.fixture
def relay(db, clock, programme, sender):
    return relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)


@pytest.fixture
def topics():
    return FakeTopics()
