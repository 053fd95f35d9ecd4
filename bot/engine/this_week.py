"""What the participant's week looks like, for ``/menu``: which week of the programme this is, and
what is left of this week's daily work (diary evenings, practice days).

Issue 10 asked that a participant always sees where they are; the module and step alone did not say
how far through the twelve weeks they are or what is still asked of them this week. Everything is
worked out from the participant's calendar at the moment it is shown, so it can never go stale.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.engine import calendar, reminders, schedule, trial_calendar
from bot.engine.turn import Turn


def lines(turn: Turn) -> list[str]:
    """The week line and one line per daily task still running this week; empty before the start."""
    state = turn.state
    start = reminders.programme_start(state)
    if start is None or state.status != "active":
        return []
    today = calendar.local_date(turn.now, state.timezone)
    week = max(0, (today - start).days // 7)
    week_end = start + timedelta(days=7 * week + 6)
    total = _weeks_in_calendar(turn, start)
    out = [turn.msg("menu.week", n=week + 1, total=total) if total > week else turn.msg("menu.week_open", n=week + 1)]
    for key, module, prompt in schedule.keyed_daily_prompts(turn.programme, state):
        first, last = calendar.daily_window(start, module, prompt)
        begin = today + timedelta(days=1) if state.daily_done.get(key) == today.isoformat() else today
        days = (min(last, week_end) - max(first, begin)).days + 1
        if days > 0:
            name = "menu.week_item_one" if days == 1 else "menu.week_item"
            out.append(turn.msg(name, title=turn.t(prompt.title), days=days))
    return ["\n".join(out)]


def _weeks_in_calendar(turn: Turn, start: date) -> int:
    """The weeks the participant's calendar spans: up to the last scheduled module's last diary day."""
    last = start
    for module in trial_calendar.scheduled(turn.programme, turn.state):
        opens = calendar.module_open_day(start, module)
        last = max([last, opens, *(calendar.daily_window(start, module, p)[1] for p in module.daily)])
    return (last - start).days // 7 + 1
