"""The engine's side of the diary rules (``bot/measures/diary.py`` decides, asked through ``turn.rules``; this applies them to a state).

A daily entry is for one day of its prompt's window; it can be filled late until the cut-off
(``Policy.diary_late_days``), never twice, and a half-finished one is closed at the cut-off rather
than resumed days later under the old day. Button data that does not name a real day is refused.
"""

from __future__ import annotations

import re
from datetime import date

from bot.content.schema import DailyPrompt, Module
from bot.engine import calendar, reminders
from bot.engine.model import Frame, ParticipantState
from bot.engine.rules import Verdict
from bot.engine.turn import Turn

KEEP_DAYS = 16  # more than any cut-off reaches back: older days can never be opened again anyway
_YMD = re.compile(r"^\d{8}$")


def parse_ymd(ymd: str) -> date | None:
    """The day of a button's ``YYYYMMDD``, or None for anything else (forged, mangled, impossible)."""
    if not _YMD.match(ymd):
        return None
    try:
        return date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
    except ValueError:
        return None


def mark_done(state: ParticipantState, key: str, day: str) -> None:
    days = state.daily_days.setdefault(key, [])
    if day not in days:
        days.append(day)
    del days[:-KEEP_DAYS]


def done_days(state: ParticipantState, key: str) -> set[date]:
    days = set(state.daily_days.get(key, []))
    if key in state.daily_done:
        days.add(state.daily_done[key])
    return {date.fromisoformat(d) for d in days}


def verdict(turn: Turn, module: Module, prompt: DailyPrompt, key: str, day: date) -> Verdict:
    """May the entry of ``prompt`` for ``day`` be opened now?"""
    start = reminders.programme_start(turn.state)
    if start is None:
        return "not_a_diary_day"
    first, _ = calendar.daily_window(start, module, prompt)
    tz, late = turn.state.timezone, turn.policy.diary_late_days
    return turn.rules.measures.check_entry(day, first, prompt.days, turn.now, tz, late, done_days(turn.state, key))


def close_expired(turn: Turn) -> list[Frame]:
    """Close every half-finished daily entry whose cut-off has passed; the closed frames are returned."""
    state = turn.state
    closed = [f for f in state.frames if f.daily and f.day and _past_cutoff(turn, f.day)]
    for frame in closed:
        state.frames.remove(frame)
        turn.audit("daily_closed", prompt=f"{frame.module}.{frame.daily}", day=frame.day)
    return closed


def _past_cutoff(turn: Turn, day: str) -> bool:
    return turn.rules.measures.expired(
        date.fromisoformat(day), turn.now, turn.state.timezone, turn.policy.diary_late_days
    )
