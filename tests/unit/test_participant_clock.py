"""The participant's own clock on the fake clock: local reminder times across daylight saving, quiet
hours, the daily cap, opting out, snooze, /pause holding modules, the catch-up rule, and ``next_due``
agreeing with ``tick`` so the sweep (which wakes a participant only at ``next_due``) delivers every
reminder exactly once at the right local time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.content.programme import Programme
from bot.engine import ParticipantState
from bot.engine.model import Preferences
from bot.engine.reminders import is_essential, wanted
from tests.support import Participant, auto_answer, finish_current_module
from tests.support.clock import (
    AUTUMN_CHANGES,
    NEW_YORK,
    QUARTER,
    SPRING_CHANGES,
    STOCKHOLM,
    Offer,
    at,
    diary_offers,
    local,
    offers,
    set_by_buttons,
    started,
    step_through,
    sweep_through,
    twin_of,
)

# -- local time across daylight saving ---------------------------------------------------------------
DST_DAYS = [
    pytest.param(STOCKHOLM, date(2026, 3, 29), id="stockholm-spring"),
    pytest.param(STOCKHOLM, date(2026, 10, 25), id="stockholm-autumn"),
    pytest.param(NEW_YORK, date(2026, 3, 8), id="new-york-spring"),
    pytest.param(NEW_YORK, date(2026, 11, 1), id="new-york-autumn"),
]


@pytest.mark.parametrize(("tz", "change_day"), DST_DAYS)
def test_a_20_00_reminder_stays_at_20_00_local_and_fires_once_on_the_change_day(programme, tz, change_day):
    p = started(programme, tz, change_day - timedelta(days=4))
    set_by_buttons(p, "Reminder time", "20:00")
    assert p.state.prefs.reminder_time == "20:00"
    sent = step_through(p, at(change_day + timedelta(days=3), 0, 0, tz))
    days = [change_day + timedelta(days=d) for d in range(-4, 3)]
    assert diary_offers(sent, tz) == [(d, time(20, 0)) for d in days[1:]]  # day 0's entry was in the module
    utc_hours = {t.hour for t, o in sent if o.dedup_key and "pain_diary" in o.dedup_key}
    assert len(utc_hours) == 2, "the UTC hour changes with the offset, the local hour does not"


def test_a_20_00_reminder_through_the_sweep_across_both_changes(programme):
    """Jumping to next_due (the sweep) gives the same once-a-day 20:00 as ticking every quarter hour."""
    for tz, change_day in ((STOCKHOLM, date(2026, 3, 29)), (NEW_YORK, date(2026, 11, 1))):
        p = started(programme, tz, change_day - timedelta(days=6))
        p.state.prefs = Preferences(reminder_time="20:00")
        twin = twin_of(p)
        end = at(change_day + timedelta(days=4), 0, 0, tz)
        swept, stepped = sweep_through(p, end), step_through(twin, end)
        assert diary_offers(swept, tz) == diary_offers(stepped, tz)
        assert [d for d, _ in diary_offers(swept, tz)] == [change_day + timedelta(days=d) for d in range(-5, 4)]
        assert {t for _, t in diary_offers(swept, tz)} == {time(20, 0)}


@pytest.mark.parametrize(("tz", "change_day"), SPRING_CHANGES + AUTUMN_CHANGES)
def test_module_opening_and_practice_reminders_keep_local_time_on_the_change_day(programme, tz, change_day):
    """Week 2 opens on the change day (a Sunday) at 09:00 local; its practice comes daily at 10:00."""
    p = started(programme, tz, change_day - timedelta(days=14))

    def do_the_module(q: Participant) -> None:
        if q.state.frame is not None and not q.state.frame.daily:
            finish_current_module(q)

    sent = sweep_through(p, at(change_day + timedelta(days=3), 0, 0, tz), react=do_the_module)
    opened = [local(t, tz) for t, o in sent if "Module 1" in o.text and "open" in o.text]
    assert [(t.date(), t.time()) for t in opened] == [(change_day, time(9, 0))]
    practice = [local(t, tz) for t, o in sent if o.dedup_key and "breathing_practice" in o.dedup_key]
    assert [(t.date(), t.time()) for t in practice] == [(change_day + timedelta(days=d), time(10, 0)) for d in range(3)]


def test_a_time_that_does_not_exist_fires_an_hour_later_and_one_that_exists_twice_fires_once(programme):
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    p = started(programme, STOCKHOLM, spring - timedelta(days=2))
    p.state.prefs = Preferences(reminder_time="02:30")
    sent = step_through(p, at(spring + timedelta(days=1), 12, 0, STOCKHOLM))
    on_change_day = [t for t, o in sent if o.dedup_key and local(t, STOCKHOLM).date() == spring]
    assert [local(t, STOCKHOLM).time() for t in on_change_day] == [time(3, 30)], "02:30 does not exist: 03:30"

    p = started(programme, STOCKHOLM, autumn - timedelta(days=2))
    p.state.prefs = Preferences(reminder_time="02:30")
    sent = step_through(p, at(autumn + timedelta(days=1), 12, 0, STOCKHOLM))
    on_change_day = [t for t, o in sent if o.dedup_key and local(t, STOCKHOLM).date() == autumn]
    assert len(on_change_day) == 1, "02:30 happens twice that night; the reminder comes once"
    assert local(on_change_day[0], STOCKHOLM).utcoffset() == timedelta(hours=2), "at the first 02:30 (summer time)"


# -- the sweep and tick agree for everything ---------------------------------------------------------
def test_next_due_sweep_delivers_what_quarter_hour_ticks_deliver_with_quiet_hours_and_snooze(programme):
    """Three weeks in New York across the March change: diary at 20:00, quiet hours 22:00–09:30 that
    hold the week-2 module's 09:00 opening until 09:30, and an "in an hour" snooze every third day."""
    p = started(programme, NEW_YORK, date(2026, 2, 25))
    p.state.prefs = Preferences(reminder_time="20:00", quiet_from="22:00", quiet_until="09:30")
    twin = twin_of(p)

    def snooze_sometimes(q: Participant) -> None:
        last = q.last.outbound[-1] if q.last.outbound else None
        if last and last.dedup_key and last.dedup_key.startswith("daily:") and q.clock.now().day % 3 == 0:
            q.press("In an hour")

    end = at(date(2026, 3, 12), 12, 0, NEW_YORK)
    swept = sweep_through(p, end, react=snooze_sometimes)
    stepped: list[Offer] = []
    while twin.clock.now() < end:
        twin.clock.advance(QUARTER)
        stepped.extend((twin.clock.now(), o) for o in twin.tick().outbound)
        snooze_sometimes(twin)
    assert [(t, o.text, o.dedup_key) for t, o in swept] == [(t, o.text, o.dedup_key) for t, o in stepped]
    snoozed = [local(t, NEW_YORK) for t, o in swept if o.dedup_key and o.dedup_key.startswith("snooze:")]
    assert snoozed and {s.time() for s in snoozed} == {time(21, 0)}
    opening = [local(t, NEW_YORK) for t, o in swept if o.text.startswith("A new module is open: Module 1")]
    assert opening == [datetime(2026, 3, 11, 9, 30, tzinfo=ZoneInfo(NEW_YORK))], "opens when the quiet hours end"
    assert len({o.dedup_key for _, o in swept if o.dedup_key}) == len([o for _, o in swept if o.dedup_key])


# -- quiet hours -------------------------------------------------------------------------------------
def test_a_reminder_inside_quiet_hours_moves_to_their_end_the_same_day(programme, clock):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.state.prefs = Preferences(quiet_from="18:00", quiet_until="21:15")  # the diary's 19:00 is inside
    sent = sweep_through(p, at(date(2026, 1, 8), 0, 0, STOCKHOLM))
    assert diary_offers(sent, STOCKHOLM) == [(date(2026, 1, d), time(21, 15)) for d in (6, 7)]


def test_a_reminder_inside_quiet_hours_that_end_tomorrow_is_dropped_for_the_day(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.state.prefs = Preferences(quiet_from="18:30", quiet_until="07:00")
    sent = step_through(p, at(date(2026, 1, 9), 0, 0, STOCKHOLM), step=timedelta(hours=1))
    assert diary_offers(sent, STOCKHOLM) == []
    assert sweep_through(twin_of(p), at(date(2026, 1, 12), 0, 0, STOCKHOLM)) == []


def test_nothing_proactive_inside_quiet_hours_even_a_module_opening(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.state.prefs = Preferences(quiet_from="08:00", quiet_until="10:00")
    opens = at(date(2026, 1, 19), 9, 0, STOCKHOLM)  # week 2 opens at 09:00 local on day 14
    assert p.engine.next_due(p.state, opens - timedelta(hours=6)) == at(date(2026, 1, 19), 10, 0, STOCKHOLM)
    p.clock.set(opens)
    assert p.tick().outbound == []
    p.clock.set(at(date(2026, 1, 19), 10, 0, STOCKHOLM))
    assert "Module 1" in p.tick().outbound[0].text


# -- the daily cap and opting out --------------------------------------------------------------------
def in_week_3(programme: Programme, prefs: Preferences) -> Participant:
    """A participant who has done weeks 2 and 3 (their practice prompts run): two practice prompts a day."""
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.state.finished += ["week02", "week03"]
    p.state.announced += ["week02", "week03"]
    p.state.prefs = prefs
    p.clock.set(at(date(2026, 1, 26), 0, 0, STOCKHOLM))  # day 21: week 3's practice window
    return p


def practice_days(sent: list[Offer]) -> list[tuple[date, str]]:
    return [
        (local(t, STOCKHOLM).date(), o.dedup_key.split(":")[2])
        for t, o in sent
        if o.dedup_key and "practice" in o.dedup_key
    ]


def test_the_daily_cap_holds_back_non_essential_reminders_beyond_it(programme):
    uncapped = in_week_3(programme, Preferences())
    sent = sweep_through(uncapped, at(date(2026, 1, 28), 0, 0, STOCKHOLM))
    assert len(practice_days(sent)) == 4, "two practice prompts a day without a cap"
    capped = in_week_3(programme, Preferences(daily_cap=1))
    sent = sweep_through(capped, at(date(2026, 1, 28), 0, 0, STOCKHOLM))
    assert [d for d, _ in practice_days(sent)] == [date(2026, 1, 26), date(2026, 1, 27)], "one a day"


def test_essential_prompts_are_sent_beyond_the_cap_and_after_opting_out(programme):
    diary = programme.modules["baseline"].daily[0]
    practice = programme.modules["week02"].daily[0]
    assert is_essential(diary) and not is_essential(practice), "forms are essential unless content says otherwise"
    state = ParticipantState(code="P", language="en", timezone=STOCKHOLM)
    state.prefs, state.reminded_on, state.reminder_count = Preferences(daily_cap=1), "2026-01-06", 1
    assert wanted(state, diary, date(2026, 1, 6)) and not wanted(state, practice, date(2026, 1, 6))
    assert wanted(state, practice, date(2026, 1, 7)), "the cap counts one day"

    p = started(programme, STOCKHOLM, date(2026, 1, 5))  # the diary runs on days 1-13
    p.command("settings")
    p.press("Turn practice reminders off")
    assert p.state.prefs.essential_only
    sent = sweep_through(p, at(date(2026, 1, 8), 0, 0, STOCKHOLM))
    assert len(diary_offers(sent, STOCKHOLM)) == 2
    opted_out = in_week_3(programme, Preferences(essential_only=True))
    assert practice_days(sweep_through(opted_out, at(date(2026, 1, 30), 0, 0, STOCKHOLM))) == []


# -- snooze ------------------------------------------------------------------------------------------
def test_snooze_in_an_hour_offers_again_once_and_tomorrow_waits_for_the_next_day(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.clock.set(at(date(2026, 1, 6), 19, 0, STOCKHOLM))
    assert len(offers([p.tick()], "daily:")) == 1
    p.clock.advance(timedelta(minutes=5))
    reply = p.press("In an hour").outbound[0].text
    assert "20:05" in reply
    assert p.engine.next_due(p.state, p.clock.now()) == at(date(2026, 1, 6), 20, 5, STOCKHOLM)
    sent = sweep_through(p, at(date(2026, 1, 6), 23, 59, STOCKHOLM))
    assert [(local(t, STOCKHOLM).time(), o.dedup_key.split(":")[0]) for t, o in sent] == [(time(20, 5), "snooze")]
    reply = p.press("Tomorrow").outbound[0].text
    assert "Wednesday 7 January, 19:00" in reply
    sent = sweep_through(p, at(date(2026, 1, 7), 23, 0, STOCKHOLM))
    assert diary_offers(sent, STOCKHOLM) == [(date(2026, 1, 7), time(19, 0))]


def test_a_snooze_is_forgotten_when_the_entry_is_done_or_the_hour_falls_on_the_next_day(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.clock.set(at(date(2026, 1, 6), 19, 0, STOCKHOLM))
    p.tick()
    p.press("In an hour")
    p.press("Fill it in now")
    while p.state.frame is not None:
        auto_answer(p)
    assert sweep_through(p, at(date(2026, 1, 6), 23, 59, STOCKHOLM)) == [], "done: no re-offer"

    p.clock.set(at(date(2026, 1, 7), 23, 30, STOCKHOLM))  # a late evening: in an hour is tomorrow
    p.tick()
    assert "7 January" not in p.press("In an hour").outbound[0].text
    assert p.state.snoozed == {}
    p.clock.set(at(date(2026, 1, 8), 8, 0, STOCKHOLM))
    assert "earlier day" in p.press("In an hour").outbound[0].text, "yesterday's offer is old"


# -- /pause and catch-up -----------------------------------------------------------------------------
def test_pause_holds_module_openings_and_resume_moves_the_calendar_by_the_days_paused(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))  # week 2 would open Monday 19 January 09:00
    p.clock.set(at(date(2026, 1, 15), 12, 0, STOCKHOLM))
    p.command("pause")
    p.clock.set(at(date(2026, 1, 21), 12, 0, STOCKHOLM))
    assert p.tick().outbound == [] and p.engine.next_due(p.state, p.clock.now()) is None
    resumed = p.command("resume").outbound  # six days later
    assert p.state.held_days == 6
    assert p.state.frames == [], "the module did not open on /resume: its day moved on too"
    assert "Sunday 25 January, 09:00" in resumed[-1].text
    assert "Sunday 25 January, 09:00" in p.command("menu").outbound[0].text
    sent = sweep_through(p, at(date(2026, 1, 26), 0, 0, STOCKHOLM))
    opened = [local(t, STOCKHOLM) for t, o in sent if o.text.startswith("A new module is open: Module 1")]
    assert opened == [datetime(2026, 1, 25, 9, 0, tzinfo=ZoneInfo(STOCKHOLM))]


def test_after_downtime_a_diary_comes_the_same_evening_but_never_the_next_morning(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.clock.set(at(date(2026, 1, 6), 23, 40, STOCKHOLM))  # down from before 19:00 until 23:40
    assert [o.dedup_key for o in offers([p.tick()])] == ["daily:P-TEST:baseline.pain_diary:2026-01-06"]
    p.clock.set(at(date(2026, 1, 8), 8, 0, STOCKHOLM))  # down through the whole evening of the 7th
    assert offers([p.tick()]) == [], "the missed evening is not sent the next morning"
    assert p.engine.next_due(p.state, p.clock.now()) == at(date(2026, 1, 8), 19, 0, STOCKHOLM)


def test_after_downtime_an_unlock_always_happens(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.clock.set(at(date(2026, 1, 23), 7, 0, STOCKHOLM))  # four days after week 2's opening
    assert p.engine.next_due(p.state, p.clock.now()) <= p.clock.now()
    assert any("Module 1" in o.text for o in p.tick().outbound)
