"""/settings in chat, and the participant's clock kept in storage: typed and pressed values, bad input
answered without losing anything, old rows read as defaults, and settings plus a snooze persisting
through the service on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

from typer.testing import CliRunner

from bot.bootstrap import conversation_service
from bot.cli.app import app
from bot.engine import Inbound, ParticipantState
from bot.engine.model import Preferences
from bot.features import build_engine
from tests.conftest import CONTENT
from tests.support import Participant, auto_answer
from tests.support.clock import NEW_YORK, STOCKHOLM, Chat, at


# -- /settings in chat -------------------------------------------------------------------------------
def test_settings_take_typed_values_and_refuse_what_they_cannot_read(programme, clock):
    p = Participant(programme, clock)
    p.through_consent()
    p.command("settings")
    p.press("Time zone")
    assert "don't know" in p.type("Atlantis").outbound[0].text
    assert p.state.timezone == STOCKHOLM
    p.type("new york")
    assert p.state.timezone == NEW_YORK
    p.press("Time zone")
    p.type("Gothenburg")
    assert p.state.timezone == STOCKHOLM
    p.press("Reminder time")
    assert "couldn't read" in p.type("25:00").outbound[0].text
    p.type("20.30")
    p.press("Quiet hours")
    p.type("22-7")
    p.press("Reminders a day")
    p.press("2")
    menu = p.last_message.text
    assert "20:30" in menu and "22:00–07:00" in menu and "Reminders a day: 2" in menu
    assert p.state.prefs == Preferences(reminder_time="20:30", quiet_from="22:00", quiet_until="07:00", daily_cap=2)
    p.press("Reminder time")
    p.press("The programme's own times")
    p.press("Quiet hours")
    p.press("No quiet hours")
    assert p.state.prefs == Preferences(daily_cap=2)


def test_settings_warn_when_quiet_hours_would_swallow_every_reminder(programme, clock):
    p = Participant(programme, clock)
    p.through_consent()
    p.command("settings")
    p.press("Quiet hours")
    said = [o.text for o in p.type("18:00-08:00").outbound]
    warning = [t for t in said if "not come" in t]
    assert len(warning) == 1 and "19:00" in warning[0] and "10:00" not in warning[0], "the diary's 19:00 is inside"
    p.press("Reminder time")
    said = [o.text for o in p.type("12:00").outbound]
    assert not any("not come" in t for t in said)


def test_settings_work_before_the_programme_starts(programme, clock):
    p = Participant(programme, clock)
    p.command("settings")
    p.press("Time zone")
    p.press("New York")
    assert p.state.timezone == NEW_YORK and p.state.status == "new"
    assert "Time zone: America/New_York" in p.last_message.text


def test_a_command_ends_a_typed_setting_so_the_next_text_answers_the_step(programme, clock):
    p = Participant(programme, clock)
    p.through_consent()
    for _ in range(100):
        if p.last_message.buttons == () or [b.label for r in p.last_message.buttons for b in r] == ["Skip"]:
            break
        auto_answer(p)
    step = (p.state.frame.step, p.state.frame.part)
    p.command("settings")
    p.press("Time zone")
    assert p.state.awaiting == "tz"
    p.command("menu")
    assert p.state.awaiting is None
    p.type("7")
    assert p.state.timezone == STOCKHOLM and (p.state.frame.step, p.state.frame.part) != step
    p.command("settings")
    p.press("Done")
    assert "saved" in p.effects[-1].outbound[0].text


def test_position_without_the_clock_fields_reads_as_defaults_and_round_trips():
    state = ParticipantState(code="P", language="en", timezone=STOCKHOLM)
    state.load_position({"frames": [], "finished": ["welcome"]})  # a row written before /settings existed
    assert state.prefs == Preferences() and state.snoozed == {} and state.held_days == 0
    state.prefs = Preferences(reminder_time="20:00", daily_cap=1, essential_only=True)
    state.snoozed, state.held_days, state.paused_on = {"baseline.pain_diary": "2026-01-06T19:05:00+00:00"}, 3, None
    again = ParticipantState(code="P", language="en", timezone=STOCKHOLM)
    again.load_position(state.position_json())
    assert again.position_json() == state.position_json()


async def test_settings_and_a_snooze_persist_and_steer_the_sweep(db, service, sender, transport, clock, programme):
    chat = Chat(service, sender, transport)
    await chat.send(Inbound(kind="command", text="start"))
    while "I agree to take part" not in [b["label"] for r in transport.sent["77"][-1]["buttons"] for b in r]:
        await chat.press()
    await chat.press("I agree to take part")
    await chat.send(Inbound(kind="command", text="settings"))
    await chat.press("Time zone")
    await chat.send(Inbound(kind="text", text="New York"))
    await chat.press("Reminder time")
    await chat.press("20:00")
    await chat.press("Quiet hours")
    await chat.press("22:00–07:00")
    await chat.press("Turn practice reminders off")

    row = await chat.row(db)
    assert row.timezone == NEW_YORK
    assert row.position["prefs"] == {
        "reminder_time": "20:00",
        "quiet_from": "22:00",
        "quiet_until": "07:00",
        "essential_only": True,
    }  # fmt: skip (no cap: left out, read back as None)
    diary_day_1 = at(date(2026, 1, 6), 20, 0, NEW_YORK)  # consent on 5 January; the diary starts on day 1
    assert row.next_due_at == diary_day_1

    # A restarted process (a new service over the same database) sees the same settings.
    again = Chat(
        conversation_service(db, build_engine(programme), clock, timezone=STOCKHOLM, language="en"), sender, transport
    )
    await again.send(Inbound(kind="command", text="settings"))
    assert "Reminder time: 20:00" in transport.texts("77")[-1]
    assert "Time zone: America/New_York" in transport.texts("77")[-1]

    clock.set(diary_day_1)
    assert await service.tick_due() == 1
    await sender.drain()
    assert transport.texts("77")[-1].startswith("Daily pain diary")
    clock.advance(timedelta(minutes=10))
    await chat.press("In an hour")
    row = await chat.row(db)
    assert row.next_due_at == diary_day_1 + timedelta(minutes=70)
    assert list(row.position["snoozed"]) == ["baseline.pain_diary"]
    clock.set(row.next_due_at)
    await service.tick_due()
    await sender.drain()
    assert transport.texts("77")[-1].startswith("Daily pain diary")
    assert "snoozed" not in (await chat.row(db)).position, "the re-offer is no longer pending (empty: left out)"


def test_the_zone_buttons_come_from_the_programme_and_a_bad_zone_there_is_a_content_error(programme, clock, tmp_path):
    p = Participant(programme, clock)
    p.command("settings")
    p.press("Time zone")
    labels = [b.label for row in p.last_message.buttons for b in row]
    assert labels == [z.rsplit("/", 1)[1].replace("_", " ") for z in programme.spec.timezones]

    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    spec = (target / "programme.yaml").read_text().replace("Europe/Madrid", "Europe/Atlantis")
    (target / "programme.yaml").write_text(spec)
    result = CliRunner().invoke(app, ["content", "validate", str(target)])
    assert result.exit_code == 1
    assert "content/programme.yaml: timezones: unknown time zone 'Europe/Atlantis'" in result.stdout
