"""One-off reminders the participant planned in a form (an activity at a date and time).

A form with a ``remind`` block, once complete, leaves a reminder in the participant state
(``state.planned``: UTC instant, text, key). ``tick`` sends those that are due, once each, and
``schedule.next_due`` wakes the participant at the earliest, so the sweep finds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

from bot.content.schema import Remind
from bot.engine import calendar
from bot.engine.model import Outbound, ParticipantState
from bot.engine.turn import Turn


def plan_one_off(turn: Turn, remind: Remind, answers: Mapping[str, object], key: str) -> None:
    """Keep a reminder for the planned local date and time; nothing when the date is missing or past."""
    day, clock = answers.get(remind.date), answers.get(remind.time) if remind.time else None
    if not isinstance(day, str):
        return
    wall = clock if isinstance(clock, str) else remind.at
    hours, minutes = (int(part) for part in wall.split(":"))
    due = calendar.at_local(date.fromisoformat(day), time(hours, minutes), turn.state.timezone)
    if due <= turn.now:
        return
    planned = [p for p in turn.state.planned if p["key"] != key]  # an entry changed: its new time counts
    planned.append({"at": due.isoformat(), "text": turn.t(remind.text), "key": key})
    turn.state.planned = sorted(planned, key=lambda p: p["at"])


def next_planned(state: ParticipantState) -> datetime | None:
    """The earliest planned reminder still to be sent."""
    if not state.planned:
        return None
    return min((datetime.fromisoformat(p["at"]) for p in state.planned), default=None)


def send_due(turn: Turn) -> None:
    """Send every planned reminder whose time has come, and forget it (the dedup key guards a retry)."""
    state, due, later = turn.state, [], []
    for item in state.planned:
        (due if datetime.fromisoformat(item["at"]) <= turn.now else later).append(item)
    for item in due:
        turn.send(Outbound(item["text"], dedup_key=f"planned:{state.code}:{item['key']}"))
        turn.audit("planned_reminder", key=item["key"])
    state.planned = later
