"""The diary rules through the engine, at their boundaries (Stockholm, late fill until the next day).

Baseline's pain diary runs from day 1 to day 13 after consent: 6..18 January 2026 for a consent on 5 January.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support import Participant, auto_answer
from tests.support.clock import STOCKHOLM, at, started
from tests.support.diary import CONSENT, JAN, KEY, fill, press_day


@pytest.fixture
def p(programme) -> Participant:
    return started(programme, STOCKHOLM, CONSENT)


def diary_answers(p: Participant, day: date) -> list:
    return [a for a in p.all_answers() if a.entry == f"pain_diary:{day.isoformat()}"]


def test_a_missed_day_can_be_filled_until_the_end_of_the_next_day(p):
    p.clock.set(at(JAN[7], 23, 59, STOCKHOLM))
    press_day(p, JAN[6])
    assert p.state.frame.daily == "pain_diary" and p.state.frame.day == "2026-01-06"
    fill(p)
    assert diary_answers(p, JAN[6]), "the late entry is stored under its own day"
    assert JAN[6].isoformat() in p.state.daily_days[KEY]


def test_a_missed_day_is_refused_from_midnight_after_the_next_day(p):
    p.clock.set(at(JAN[8], 0, 0, STOCKHOLM))
    effects = press_day(p, JAN[6])
    assert p.state.frames == []
    assert "no longer" in effects.outbound[0].text
    assert ("daily_refused", {"prompt": KEY, "verdict": "too_late"}) in effects.audit


def test_a_day_is_never_filled_twice_even_after_a_later_day(p):
    p.clock.set(at(JAN[6], 20, 0, STOCKHOLM))
    press_day(p, JAN[6])
    fill(p)
    p.clock.set(at(JAN[7], 20, 0, STOCKHOLM))
    press_day(p, JAN[7])
    fill(p)
    before = len(p.all_answers())
    effects = press_day(p, JAN[6])  # still inside Jan 6's cut-off, and Jan 7 is the last day done
    assert "already filled in" in effects.outbound[0].text
    assert p.state.frames == [] and len(p.all_answers()) == before


@pytest.mark.parametrize(
    "data",
    [
        "abc--",  # forged
        "2026010",  # cut short
        "20260231",  # no such day
        "20260105",  # consent day: the first entry is made inside the module, not a daily diary day
        "20260119",  # after the window
        "20260108",  # tomorrow: not yet
    ],
)
def test_forged_stale_or_non_diary_days_are_refused(p, data):
    p.clock.set(at(JAN[7], 20, 0, STOCKHOLM))
    effects = press_day(p, data)
    assert p.state.frames == []
    assert effects.answers == []
    assert "earlier message" in effects.outbound[0].text


def test_the_last_window_day_is_a_diary_day(p):
    p.clock.set(at(JAN[18], 20, 0, STOCKHOLM))
    press_day(p, JAN[18])
    assert p.state.frame.day == "2026-01-18"


def test_a_half_finished_diary_is_resumed_before_the_cutoff_and_closed_at_it(p):
    p.clock.set(at(JAN[6], 20, 0, STOCKHOLM))
    press_day(p, JAN[6])
    auto_answer(p)  # the first field only
    assert len(diary_answers(p, JAN[6])) == 1

    p.clock.set(at(JAN[7], 23, 59, STOCKHOLM))
    p.type("4")  # still Jan 6's entry: the answer counts for it
    assert len(diary_answers(p, JAN[6])) == 2 and p.state.frame.day == "2026-01-06"

    p.clock.set(at(JAN[8], 0, 0, STOCKHOLM))
    effects = p.type("4")
    assert p.state.frames == [], "closed, not resumed under the old day"
    assert effects.answers == []
    assert "closed" in effects.outbound[0].text
    assert ("daily_closed", {"prompt": KEY, "day": "2026-01-06"}) in effects.audit


def test_a_tick_after_the_cutoff_closes_the_half_finished_diary(p):
    p.clock.set(at(JAN[6], 20, 0, STOCKHOLM))
    press_day(p, JAN[6])
    auto_answer(p)
    p.clock.set(at(JAN[8], 0, 0, STOCKHOLM) + timedelta(hours=19))
    effects = p.tick()
    assert all(f.day != "2026-01-06" for f in p.state.frames)
    assert ("daily_closed", {"prompt": KEY, "day": "2026-01-06"}) in effects.audit
