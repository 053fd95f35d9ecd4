"""The crisis message claims only what is true, with the site's numbers; crisis settings are validated."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.errors import ConfigError
from bot.safety import CrisisResources, SafetySite, StaffAvailability, crisis_message
from bot.settings import load_settings

runner = CliRunner()


def test_safety_defaults_are_swedish_crisis_resources(monkeypatch):
    for name in ("ICBT_EMERGENCY_NUMBER", "ICBT_CRISIS_LINE_NUMBER", "ICBT_STAFF_MODE", "ICBT_STAFF_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    resources = CrisisResources.from_settings(settings)
    assert (resources.country, resources.emergency_number, resources.line_number) == ("SE", "112", "90101")
    assert resources.line_name == "Mind Självmordslinjen"
    assert settings.timezone == "Europe/Stockholm"
    assert StaffAvailability.from_settings(settings) is StaffAvailability.NONE  # no staff chat configured


def test_staff_team_only_with_a_staff_chat_in_telegram_mode(monkeypatch):
    monkeypatch.setenv("ICBT_STAFF_CHAT_ID", "-100200")
    assert StaffAvailability.from_settings(load_settings()) is StaffAvailability.TEAM
    monkeypatch.setenv("ICBT_STAFF_MODE", "none")
    assert StaffAvailability.from_settings(load_settings()) is StaffAvailability.NONE


def test_crisis_message_with_staff_says_team_alerted_and_not_watched_around_the_clock(programme, monkeypatch):
    resources = CrisisResources(
        "SE", "112", "Mind Självmordslinjen", "90101", "open around the clock", "https://mind.se"
    )
    text = crisis_message(resources, StaffAvailability.TEAM, "en", programme.safety)
    assert "112" in text
    assert "Mind Självmordslinjen, 90101 (open around the clock, https://mind.se)" in text
    assert "urgent alert with your words is on its way to your therapist team" in text
    assert "not watched around the clock" in text
    assert "{" not in text


def test_crisis_message_without_staff_never_claims_anyone_was_told(programme):
    resources = CrisisResources("GB", "999", "Samaritans", "116 123")
    text = crisis_message(resources, StaffAvailability.NONE, "en", programme.safety)
    assert "999" in text and "Samaritans, 116 123" in text
    assert "No one reads this chat in real time" in text
    lowered = text.casefold()
    assert "has been told" not in lowered and "has been alerted" not in lowered.replace("nobody has been alerted", "")
    assert "therapist" not in lowered


def test_crisis_message_falls_back_to_a_loaded_language(programme):
    resources = CrisisResources("SE", "112", "Line", "90101")
    assert crisis_message(resources, StaffAvailability.NONE, "xx", programme.safety) == crisis_message(
        resources, StaffAvailability.NONE, "en", programme.safety
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ICBT_EMERGENCY_NUMBER", "call us", "config error: ICBT_EMERGENCY_NUMBER: 'call us' is not a phone number"),
        ("ICBT_CRISIS_LINE_NUMBER", "", "config error: ICBT_CRISIS_LINE_NUMBER: '' is not a phone number"),
        ("ICBT_CRISIS_COUNTRY", "Sweden", "config error: ICBT_CRISIS_COUNTRY: must be a two-letter country code"),
        ("ICBT_CRISIS_LINE_URL", "mind.se", "config error: ICBT_CRISIS_LINE_URL: must be empty or start with http"),
        ("ICBT_STAFF_MODE", "email", "config error: ICBT_STAFF_MODE: Input should be 'telegram' or 'none'"),
    ],
)
def test_bad_crisis_setting_stops_start_up_with_one_line(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(expected)


def test_international_crisis_numbers_are_accepted(monkeypatch):
    monkeypatch.setenv("ICBT_EMERGENCY_NUMBER", "+46 112")
    monkeypatch.setenv("ICBT_CRISIS_LINE_NUMBER", "116 123")
    monkeypatch.setenv("ICBT_CRISIS_COUNTRY", "gb")
    settings = load_settings()
    assert (settings.emergency_number, settings.crisis_line_number, settings.crisis_country) == (
        "+46 112",
        "116 123",
        "GB",
    )


def test_safety_site_from_settings_gives_the_truthful_message(programme, monkeypatch):
    monkeypatch.setenv("ICBT_EMERGENCY_NUMBER", "999")
    monkeypatch.setenv("ICBT_STAFF_CHAT_ID", "-100200")
    site = SafetySite.from_settings(load_settings())
    assert site.staff is StaffAvailability.TEAM
    assert "999" in site.crisis_message("en", programme.safety)
    assert "on its way to your therapist team" in site.crisis_message("en", programme.safety)
    monkeypatch.setenv("ICBT_STAFF_MODE", "none")
    quiet = SafetySite.from_settings(load_settings())
    assert "No one reads this chat in real time" in quiet.crisis_message("en", programme.safety)


def test_crisis_message_with_the_staff_group_unreachable_says_the_team_could_not_be_reached(programme):
    resources = CrisisResources("SE", "112", "Mind Självmordslinjen", "90101")
    text = crisis_message(resources, StaffAvailability.UNREACHABLE, "en", programme.safety)
    assert "112" in text and "Mind Självmordslinjen, 90101" in text
    assert "could not reach your therapist team" in text and "on its way" not in text


@pytest.mark.parametrize("staff", list(StaffAvailability))
def test_concern_message_is_warm_names_the_numbers_and_only_true_promises(programme, staff):
    resources = CrisisResources("GB", "999", "Samaritans", "116 123")
    text = crisis_message(resources, staff, "en", programme.safety, level="concern")
    assert "999" in text and "Samaritans, 116 123" in text
    assert ("get in touch with you today" in text) is (staff is StaffAvailability.TEAM)


def test_crisis_resources_of_the_participant_country_come_from_content(programme):
    lines = programme.crisis_lines
    assert lines["GB"].emergency_number == "999" and lines["GB"].line_name == "Samaritans"
    assert lines["US"].line_number == "988" and lines["NO"].emergency_number == "113"
    site = SafetySite(CrisisResources("SE", "112", "Mind Självmordslinjen", "90101"), StaffAvailability.TEAM)
    assert "999" in site.crisis_message("en", programme.safety, resources=lines["GB"])
    assert "112" in site.crisis_message("en", programme.safety), "no country: the site's own numbers"
