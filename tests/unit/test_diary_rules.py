"""The pain diary's rules at their boundaries (pure decisions for the engine wiring)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.measures.diary import DiaryWindow, check_entry, cutoff, expired, parse_entry_key

TZ = "Europe/Stockholm"  # UTC+1 in January
WINDOW = DiaryWindow(date(2026, 1, 5), 14)  # 5 .. 18 January


def at(local: str) -> datetime:
    """A Stockholm wall-clock time in January as an aware UTC datetime."""
    return datetime.fromisoformat(local).replace(tzinfo=UTC) - timedelta(hours=1)


@pytest.mark.parametrize(
    ("day", "now", "verdict"),
    [
        (date(2026, 1, 5), "2026-01-05 19:00", "ok"),
        (date(2026, 1, 5), "2026-01-06 23:59:59", "ok"),  # late, the next day: still allowed
        (date(2026, 1, 5), "2026-01-07 00:00", "too_late"),  # the cut-off itself
        (date(2026, 1, 4), "2026-01-05 10:00", "not_a_diary_day"),  # the day before the window
        (date(2026, 1, 18), "2026-01-18 19:00", "ok"),  # the window's last day
        (date(2026, 1, 19), "2026-01-19 19:00", "not_a_diary_day"),  # the day after it
        (date(2026, 1, 10), "2026-01-09 23:59", "not_yet"),
        (date(2026, 1, 10), "2026-01-10 00:00", "ok"),
    ],
)  # fmt: skip
def test_which_days_can_be_filled_and_until_when(day: date, now: str, verdict: str):
    assert check_entry(day, WINDOW, at(now), TZ, late_days=1, done=()) == verdict


def test_a_day_is_never_filled_twice():
    assert (
        check_entry(date(2026, 1, 6), WINDOW, at("2026-01-06 20:00"), TZ, 1, done={date(2026, 1, 6)}) == "already_done"
    )


def test_the_late_cut_off_is_configurable():
    assert check_entry(date(2026, 1, 5), WINDOW, at("2026-01-06 08:00"), TZ, late_days=0, done=()) == "too_late"
    assert check_entry(date(2026, 1, 5), WINDOW, at("2026-01-07 08:00"), TZ, late_days=2, done=()) == "ok"
    assert cutoff(date(2026, 1, 5), 1, TZ) == at("2026-01-07 00:00")
    with pytest.raises(ValueError, match="late_days"):
        cutoff(date(2026, 1, 5), -1, TZ)


def test_a_half_finished_diary_is_closed_at_the_cut_off_not_resumed_later():
    assert not expired(date(2026, 1, 5), at("2026-01-06 23:59"), TZ, 1)
    assert expired(date(2026, 1, 5), at("2026-01-07 00:00"), TZ, 1)
    assert expired(date(2026, 1, 5), at("2026-01-13 19:00"), TZ, 1)  # eight days later


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("pain_diary:2026-01-05", date(2026, 1, 5)),
        ("pain_diary:abc--", None),
        ("pain_diary:2026-13-01", None),
        ("pain_diary:2026-02-30", None),
        ("pain_diary:2026-01-05x", None),
        ("other_prompt:2026-01-05", None),
        ("pain_diary:20260105", None),
        ("", None),
    ],
)
def test_forged_or_mangled_button_data_names_no_day(data: str, expected: date | None):
    assert parse_entry_key(data, "pain_diary") == expected


def test_the_late_days_setting_is_validated():
    from bot.errors import ConfigError
    from bot.settings import load_settings

    assert load_settings(None, diary_late_days=2).diary_late_days == 2
    with pytest.raises(ConfigError, match=r"^config error: ICBT_DIARY_LATE_DAYS: "):
        load_settings(None, diary_late_days=-1)
