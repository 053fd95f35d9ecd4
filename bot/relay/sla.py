"""Working-day arithmetic for response targets, in the site's time zone.

A target of N working days means: answered by the end of the Nth working day after the day the item
arrived (``day_end_hour`` local). A question on Monday at 10:00 with a one-day target is due Tuesday
17:00; one sent on Friday evening or at the weekend is due Monday 17:00. Weekends and the site's
holidays are not working days.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def due_at(
    arrived: datetime, working_days: int, tz: str, day_end_hour: int = 17, holidays: Collection[date] = ()
) -> datetime:
    zone = ZoneInfo(tz)
    day = arrived.astimezone(zone).date()
    counted = 0
    while counted < max(working_days, 1):
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return datetime.combine(day, time(day_end_hour), tzinfo=zone).astimezone(UTC)


def same_day(arrived: datetime, tz: str, day_end_hour: int = 17) -> datetime:
    """A same-day target: the end of the arrival's local day (``day_end_hour``), or, when it arrived
    after that, the end of the next day, whatever day it is (risk does not wait for Monday)."""
    zone = ZoneInfo(tz)
    local = arrived.astimezone(zone)
    day = local.date() if local.hour < day_end_hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(day_end_hour), tzinfo=zone).astimezone(UTC)


def nudge_level(now: datetime, due: datetime | None, escalate_hours: int) -> int:
    """0: not yet due; 1: overdue, nudge the assigned therapist; 2: still waiting, tell the group."""
    if due is None or now < due:
        return 0
    return 2 if now >= due + timedelta(hours=escalate_hours) else 1


def age_text(seconds: float) -> str:
    """A short age for the queue: ``45m``, ``5h``, ``3d 4h``."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    return f"{hours // 24}d {hours % 24}h"
