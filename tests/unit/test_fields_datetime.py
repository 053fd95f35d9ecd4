"""Date and time fields: what a participant may type or press, and what is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.content.schema import FieldSpec
from bot.engine.fields import field_prompt, parse_field, show_value
from bot.engine.model import Frame, ParticipantState
from bot.engine.turn import Turn
from bot.errors import InputRejected

DAY = FieldSpec(id="day", kind="date", label="Which day?")
TIME = FieldSpec(id="at", kind="time", label="What time?")
# Wednesday 11 March 2026, 23:30 UTC: already Thursday 12 March in Stockholm (UTC+1)
NOW = datetime(2026, 3, 11, 23, 30, tzinfo=UTC)


@pytest.fixture
def turn(programme) -> Turn:
    return Turn(programme, ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm"), NOW)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("today", "2026-03-12"),  # the participant's own date, not UTC's
        ("Tomorrow", "2026-03-13"),
        ("thursday", "2026-03-12"),  # the day it is: today
        ("Friday", "2026-03-13"),
        ("mon", "2026-03-16"),
        ("wednesday", "2026-03-18"),
        ("14/3", "2026-03-14"),
        ("14.03", "2026-03-14"),
        ("1/2", "2027-02-01"),  # more than a month back: next year's
        ("1/3", "2026-03-01"),  # a few days back: this year's (a record of something done)
        ("2026-04-30", "2026-04-30"),
        ("30/4/2026", "2026-04-30"),
        ("30/4/26", "2026-04-30"),
    ],
)
def test_typed_dates(turn, typed, stored):
    assert parse_field(turn, DAY, typed, via_button=False) == stored


@pytest.mark.parametrize("typed", ["someday", "31/2", "14/13", "2030-01-01", "2025-01-01", "12", ""])
def test_dates_that_are_not_a_day_are_refused(turn, typed):
    with pytest.raises(InputRejected) as caught:
        parse_field(turn, DAY, typed, via_button=False)
    assert caught.value.reason_key in ("content.reprompt.date", "reprompt.text_empty")


def test_the_date_prompt_offers_the_coming_week(turn):
    out = field_prompt(turn, Frame(module="m", step="s"), DAY)
    buttons = [b for row in out.buttons for b in row]
    assert [b.label for b in buttons] == [
        "Today", "Tomorrow", "Saturday 14/3", "Sunday 15/3", "Monday 16/3", "Tuesday 17/3", "Wednesday 18/3",
    ]  # fmt: skip
    assert "14/3" in out.text
    pressed = buttons[2].data.split("|", 1)[1]
    assert parse_field(turn, DAY, pressed, via_button=True) == "2026-03-14"
    assert show_value(turn, DAY, "2026-03-14") == "Saturday 14/3"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("18:30", "18:30"), ("7.05", "07:05"), ("18", "18:00"), ("6pm", "18:00"), ("6:30 pm", "18:30"),
     ("12am", "00:00"), ("12pm", "12:00"), ("9 a.m.", "09:00")],
)  # fmt: skip
def test_typed_times(turn, typed, stored):
    assert parse_field(turn, TIME, typed, via_button=False) == stored


@pytest.mark.parametrize("typed", ["25:00", "18:75", "13pm", "evening", "0am"])
def test_times_that_are_not_a_time_are_refused(turn, typed):
    with pytest.raises(InputRejected) as caught:
        parse_field(turn, TIME, typed, via_button=False)
    assert caught.value.reason_key == "content.reprompt.time"


def test_the_time_prompt_offers_times_to_press(turn):
    out = field_prompt(turn, Frame(module="m", step="s"), TIME)
    labels = [b.label for row in out.buttons for b in row]
    assert labels[0] == "08:00" and "18:00" in labels
    assert "6pm" in out.text


def test_an_optional_date_can_be_skipped(turn):
    optional = FieldSpec(id="day", kind="date", label="Which day?", optional=True)
    assert parse_field(turn, optional, "/skip", via_button=False) is None
    with pytest.raises(InputRejected):
        parse_field(turn, DAY, "/skip", via_button=False)
