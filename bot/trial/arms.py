"""Each arm's calendar, counted in weeks from the local day of allocation (week 0).

Pure: the engine asks what is open for an arm on a local date, when the next check-in falls, and
whether the crossover offer is due. Dates are local dates in the participant's time zone
(``local_day(now, zone)``); a week starts on the weekday of allocation.

treatment: weeks 0–1 baseline, 2–9 one module a week, 10–11 post, then the end.
waiting list: weeks 0–1 baseline, 2–9 waiting with a check-in every two weeks (at the start of weeks
2, 4, 6, 8), 10–11 post, then (with ``crossover``) the programme is offered from week 12.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.programme import Programme
from bot.content.trial_schema import Arm, ArmPhase

WAITING = "waiting"


@dataclass(frozen=True)
class ArmDay:
    """Where an arm stands on one local date."""

    week: int  # weeks since allocation (negative before it)
    phase: str | None  # the arm's phase this week; None before allocation or after the last week
    modules: tuple[str, ...]  # modules open by now (their week has come), in programme order
    finished: bool  # the arm's last week is over
    crossover_due: bool


def local_day(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def week_of(allocated_on: date, day: date) -> int:
    return (day - allocated_on).days // 7


def phase_at(arm: Arm, week: int) -> ArmPhase | None:
    for item in arm.calendar:
        if item.weeks[0] <= week <= item.weeks[1]:
            return item
    return None


def last_week(arm: Arm) -> int:
    return arm.calendar[-1].weeks[1]


def open_modules(programme: Programme, arm: Arm, week: int) -> tuple[str, ...]:
    """Modules of the arm's programme phases whose week has come (a module's week counts from allocation)."""
    opened: list[str] = []
    for item in arm.calendar:
        if item.weeks[0] > week or item.phase == WAITING:
            continue
        for phase in programme.spec.phases:
            if phase.id != item.phase:
                continue
            for module_id in phase.modules:
                module_week = programme.modules[module_id].week
                if module_week is not None and module_week <= week:
                    opened.append(module_id)
    return tuple(opened)


def arm_day(programme: Programme, arm: Arm, allocated_on: date, day: date) -> ArmDay:
    week = week_of(allocated_on, day)
    current = phase_at(arm, week) if week >= 0 else None
    finished = week > last_week(arm)
    return ArmDay(
        week=week,
        phase=current.phase if current else None,
        modules=open_modules(programme, arm, week) if week >= 0 else (),
        finished=finished,
        crossover_due=finished and arm.crossover,
    )


def check_in_days(arm: Arm, allocated_on: date) -> tuple[date, ...]:
    """Every check-in date: the start of each ``check_in_every_weeks``-th week of a phase that has them."""
    days: list[date] = []
    for item in arm.calendar:
        if item.check_in_every_weeks is None:
            continue
        for week in range(item.weeks[0], item.weeks[1] + 1, item.check_in_every_weeks):
            days.append(allocated_on + timedelta(weeks=week))
    return tuple(days)


def next_check_in(arm: Arm, allocated_on: date, day: date) -> date | None:
    """The first check-in on or after ``day``, or None when none is left."""
    return next((d for d in check_in_days(arm, allocated_on) if d >= day), None)


def crossover_day(arm: Arm, allocated_on: date) -> date | None:
    """The local date the programme is offered to a waiting-list participant (None without crossover)."""
    return allocated_on + timedelta(weeks=last_week(arm) + 1) if arm.crossover else None
