"""Where an arm stands on a local date, counted in weeks from the local day of allocation (week 0).

Pure. The arm's calendar itself (its phase in a week, its check-in days, the crossover day) is read
from ``trial.yaml`` by the content model (``Arm``, ``Programme.arm_modules``), which the engine uses
too, so the report and the conversation count weeks one way. Dates are local dates in the participant's time zone
(``local_day(now, zone)``); a week starts on the weekday of allocation.

treatment: weeks 0–1 baseline, 2–9 one module a week, 10–11 post, then the end.
waiting list: weeks 0–1 baseline, 2–9 waiting with a check-in every two weeks (at the start of weeks
2, 4, 6, 8), 10–11 post, then (with ``crossover``) the programme is offered from week 12.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.content.programme import Programme
from bot.content.trial_schema import Arm


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


def arm_day(programme: Programme, arm: Arm, allocated_on: date, day: date) -> ArmDay:
    week = week_of(allocated_on, day)
    current = arm.phase_at(week) if week >= 0 else None
    finished = week > arm.last_week
    return ArmDay(
        week=week,
        phase=current.phase if current else None,
        modules=programme.arm_modules(arm, week) if week >= 0 else (),
        finished=finished,
        crossover_due=finished and arm.crossover,
    )


def next_check_in(arm: Arm, allocated_on: date, day: date) -> date | None:
    """The first check-in on or after ``day``, or None when none is left."""
    return next((d for d in arm.check_in_days(allocated_on) if d >= day), None)
