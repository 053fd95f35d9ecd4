"""`icbt run` and the staff chat (getChat over the fake Bot API): a wrong setting stops start-up in one
line; an unreachable group does not (degraded mode): the bot serves participants, keeps staff posts
queued, and the crisis message says the team could not be reached until the group takes it again."""

from __future__ import annotations

import logging

import pytest

from bot.channels.telegram.app import build_application
from bot.channels.telegram.runner import staff_target, verify_staff_chat
from bot.errors import ConfigError
from bot.safety.crisis import SafetySite, StaffAvailability, StaffStatus
from bot.settings import load_settings
from tests.support.fake_bot_api import FakeBotAPI

STAFF = -1001234


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI()


async def check(monkeypatch, api: FakeBotAPI, **env: str) -> bool:
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    for name, value in env.items():
        monkeypatch.setenv(f"ICBT_{name.upper()}", value)
    settings = load_settings()
    application = build_application(settings, request=api)
    async with application.bot:
        return await verify_staff_chat(application.bot, settings)


async def test_staff_chat_reachable_lets_run_start(monkeypatch, api, caplog):
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.runner")
    await check(monkeypatch, api, staff_chat_id=str(STAFF))
    calls = [c for c in api.calls if c.method == "getChat"]
    assert len(calls) == 1 and int(calls[0].params["chat_id"]) == STAFF
    assert "staff chat -1001234 reachable (supergroup, topics on)" in caplog.text


@pytest.mark.parametrize(
    ("status", "description"),
    [(400, "Bad Request: chat not found"), (403, "Forbidden: bot was kicked from the supergroup chat")],
)
async def test_staff_chat_unreachable_at_start_runs_degraded_with_an_error_line(
    monkeypatch, api, caplog, status, description
):
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.runner")
    api.method_errors["getChat"] = [(status, {"ok": False, "error_code": status, "description": description})]
    assert await check(monkeypatch, api, staff_chat_id=str(STAFF)) is False, "start-up goes on"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "staff chat -1001234 is not reachable" in errors[0].getMessage()
    assert "degraded mode" in errors[0].getMessage()


def test_crisis_message_follows_the_staff_group_reachability(programme, monkeypatch):
    monkeypatch.setenv("ICBT_STAFF_CHAT_ID", str(STAFF))
    status = StaffStatus(str(STAFF), reachable=False)
    site = SafetySite.from_settings(load_settings(), status)
    assert site.staff_now() is StaffAvailability.UNREACHABLE
    assert "could not reach your therapist team" in site.crisis_message("en", programme.safety)
    status.seen(str(STAFF), delivered=True)  # the sender delivered a staff post: the group is back
    assert "on its way to your therapist team" in site.crisis_message("en", programme.safety)
    status.seen("-999", delivered=False)  # another chat's refusal says nothing about the staff group
    assert site.staff_now() is StaffAvailability.TEAM


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
