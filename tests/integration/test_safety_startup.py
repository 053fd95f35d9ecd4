"""`icbt run` refuses to start without a reachable staff chat (getChat over the fake Bot API)."""

from __future__ import annotations

import logging

import pytest

from bot.channels.telegram.app import build_application
from bot.channels.telegram.runner import staff_target, verify_staff_chat
from bot.errors import ConfigError
from bot.settings import load_settings
from tests.support.fake_bot_api import FakeBotAPI

STAFF = -1001234


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI()


async def check(monkeypatch, api: FakeBotAPI, **env: str) -> None:
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    for name, value in env.items():
        monkeypatch.setenv(f"ICBT_{name.upper()}", value)
    settings = load_settings()
    application = build_application(settings, request=api)
    async with application.bot:
        await verify_staff_chat(application.bot, settings)


async def test_staff_chat_reachable_lets_run_start(monkeypatch, api, caplog):
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.runner")
    await check(monkeypatch, api, staff_chat_id=str(STAFF))
    calls = [c for c in api.calls if c.method == "getChat"]
    assert len(calls) == 1 and int(calls[0].params["chat_id"]) == STAFF
    assert "staff chat -1001234 reachable (supergroup, topics on)" in caplog.text


async def test_staff_chat_not_found_stops_start_up_with_one_line(monkeypatch, api):
    api.method_errors["getChat"] = [
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    ]
    with pytest.raises(ConfigError) as caught:
        await check(monkeypatch, api, staff_chat_id=str(STAFF))
    message = str(caught.value)
    assert message.startswith("config error: ICBT_STAFF_CHAT_ID: staff chat -1001234 is not reachable: Chat not found")
    assert "ICBT_STAFF_MODE=none" in message and "\n" not in message


async def test_staff_chat_forbidden_stops_start_up(monkeypatch, api):
    api.method_errors["getChat"] = [
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was kicked from the supergroup chat"})
    ]
    with pytest.raises(ConfigError, match=r"^config error: ICBT_STAFF_CHAT_ID: staff chat -1001234 is not reachable"):
        await check(monkeypatch, api, staff_chat_id=str(STAFF))


async def test_staff_chat_missing_stops_start_up_before_any_request(monkeypatch, api):
    monkeypatch.delenv("ICBT_STAFF_CHAT_ID", raising=False)
    with pytest.raises(ConfigError, match=r"^config error: ICBT_STAFF_CHAT_ID: required for `icbt run`"):
        await check(monkeypatch, api)
    assert not [c for c in api.calls if c.method == "getChat"]


async def test_staff_chat_that_is_a_private_chat_is_refused(monkeypatch, api):
    api.chats[STAFF] = {"type": "private", "first_name": "Anna"}
    with pytest.raises(ConfigError, match="is a private chat, not a group"):
        await check(monkeypatch, api, staff_chat_id=str(STAFF))


async def test_no_staff_mode_starts_without_a_staff_chat(monkeypatch, api):
    monkeypatch.delenv("ICBT_STAFF_CHAT_ID", raising=False)
    await check(monkeypatch, api, staff_mode="none")
    assert not [c for c in api.calls if c.method == "getChat"]


def test_no_staff_mode_sends_nothing_to_a_staff_group(monkeypatch):
    monkeypatch.setenv("ICBT_STAFF_CHAT_ID", str(STAFF))
    assert staff_target(load_settings()) == ("telegram", str(STAFF))
    monkeypatch.setenv("ICBT_STAFF_MODE", "none")
    assert staff_target(load_settings()) is None


def test_icbt_run_without_staff_chat_exits_with_one_line_before_any_network(monkeypatch):
    from typer.testing import CliRunner

    from bot.cli.app import app

    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")  # nothing listens: must not be reached
    monkeypatch.delenv("ICBT_STAFF_CHAT_ID", raising=False)
    monkeypatch.delenv("ICBT_STAFF_MODE", raising=False)
    monkeypatch.setenv("ICBT_TRIAL_SEED", "a-long-enough-test-seed")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "config error: ICBT_STAFF_CHAT_ID: required for `icbt run` "
        "(add the bot to the staff group, or set ICBT_STAFF_MODE=none to run without one)"
    ]
