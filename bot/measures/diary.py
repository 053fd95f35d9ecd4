"""The pain diary's rules, as pure decisions the engine wiring can call.

- A diary day is one of the window's days (14 per window); nothing else can be stored.
- A missed day can be filled late until the cut-off: the end of the day ``late_days`` after it, in
  the participant's time zone (``late_days = 1``: until midnight of the next day). Never twice.
- A half-finished entry is closed at that cut-off, not resumed days later under the old day.
- Button data names its day as ``<prompt id>:YYYY-MM-DD``; anything else (forged, mangled, a day
  outside the window, a stale button) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

# The answers the engine's interface names (``bot/engine/rules.py``), kept here so the rules stay pure.
Verdict = Literal["ok", "not_a_diary_day", "not_yet", "too_late", "already_done"]

KEY = re.compile(r"^(?P<prompt>[a-z][a-z0-9_]*):(?P<day>\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class DiaryWindow:
    first_day: date
    days: int = 14

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day < self.first_day + timedelta(days=self.days)


def cutoff(day: date, late_days: int, timezone: str) -> datetime:
    """The moment after which ``day`` can no longer be filled in (an aware datetime)."""
    if late_days < 0:
        raise ValueError("late_days must be 0 or more")
    return datetime.combine(day + timedelta(days=late_days + 1), time(0), tzinfo=ZoneInfo(timezone))


def check_entry(
    day: date, window: DiaryWindow, now: datetime, timezone: str, late_days: int, done: Collection[date]
) -> Verdict:
    """May the participant start (or save) the entry for ``day`` at ``now``?"""
    if day not in window:
        return "not_a_diary_day"
    if day in done:
        return "already_done"
    if now.astimezone(ZoneInfo(timezone)).date() < day:
        return "not_yet"
    if now >= cutoff(day, late_days, timezone):
        return "too_late"
    return "ok"


def expired(day: date, now: datetime, timezone: str, late_days: int) -> bool:
    """A half-finished entry for ``day`` is closed (not resumed) once its cut-off has passed."""
    return now >= cutoff(day, late_days, timezone)


def parse_entry_key(data: str, prompt_id: str) -> date | None:
    """The day named by button data ``<prompt id>:YYYY-MM-DD``, or None for anything else."""
    match = KEY.match(data)
    if match is None or match["prompt"] != prompt_id:
        return None
    try:
        return date.fromisoformat(match["day"])
    except ValueError:
        return None
