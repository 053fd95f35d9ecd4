"""Programme time: when a module opens and when a daily prompt is due, in the participant's zone.

A module for week N opens at ``release_hour`` local time, 7·N days after the day the participant
consented (week 0 opens at once). Daily prompts run on each day of their window; at what local time,
and whether at all, is the participant's own clock (bot/engine/reminders.py). A day that passed unseen
(bot down, participant paused) is not caught up: only today's prompt is offered. That rule keeps a
returning participant from being flooded with stale diaries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.content.schema import DailyPrompt, Module


# Pure functions of immutable values, cached: one sweep asks them with the same instant and the
# same few zones and days for every participant (100,000 times in an evening).
@lru_cache(maxsize=4096)
def local_now(now: datetime, tz: str) -> datetime:
    return now.astimezone(ZoneInfo(tz))


@lru_cache(maxsize=4096)
def local_date(now: datetime, tz: str) -> date:
    return local_now(now, tz).date()


@lru_cache(maxsize=4096)
def at_local(day: date, clock_time: time, tz: str) -> datetime:
    """The UTC instant of ``day`` at ``clock_time`` in ``tz`` (DST-safe via zoneinfo folding)."""
    return datetime.combine(day, clock_time, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def module_open_day(start: date, module: Module) -> date:
    return start + timedelta(days=7 * (module.week or 0))


def module_opens_at(start: date, module: Module, release_hour: int, tz: str) -> datetime:
    """Week 0 is open from the moment of consent; later weeks open at ``release_hour``."""
    return at_local(module_open_day(start, module), time(release_hour if module.week else 0), tz)


@lru_cache(maxsize=1024)
def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def daily_window(start: date, module: Module, prompt: DailyPrompt) -> tuple[date, date]:
    return _window(start, module.week or 0, prompt.start_day, prompt.days)


@lru_cache(maxsize=4096)
def _window(start: date, week: int, start_day: int, days: int) -> tuple[date, date]:
    first = start + timedelta(days=7 * week + start_day)
    return first, first + timedelta(days=days - 1)
