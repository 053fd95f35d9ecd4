"""Snooze on a daily offer: "in an hour" brings the same day's offer back once; "tomorrow" lets today go.

The button carries the prompt and the day of the offer, so a snooze pressed on yesterday's offer is
recognised as old. When a re-offer is due is the participant's clock's rule (bot/engine/reminders.py).
"""

from __future__ import annotations

from datetime import UTC, date

from bot.engine import calendar, dailies, reminders, schedule
from bot.engine.progress import when
from bot.engine.turn import Turn


def snooze(turn: Turn, value: str) -> None:
    """A snooze button was pressed (``value`` = short key | YYYYMMDD | h or t)."""
    state = turn.state
    short, _, rest = value.partition("|")
    ymd, _, choice = rest.partition("|")
    item = next(
        (i for i in schedule.keyed_daily_prompts(turn.programme, state) if dailies.short_key(i[0]) == short), None
    )
    start = reminders.programme_start(state)
    today = calendar.local_date(turn.now, state.timezone)
    if item is None or start is None or ymd != f"{today:%Y%m%d}" or choice not in (reminders.HOUR, reminders.TOMORROW):
        turn.say(turn.msg("settings.snooze_old_offer"))
        return
    key = item[0]
    if state.daily_done.get(key) == today.isoformat():
        turn.say(turn.msg("daily.already_done"))
        return
    turn.audit("snoozed", prompt=key, choice=choice)
    again = reminders.snooze_until(state, today, choice, turn.now)
    if again is not None:
        state.snoozed[key] = again.isoformat()
        turn.say(turn.msg("settings.snooze_later", time=f"{calendar.local_now(again, state.timezone):%H:%M}"))
        return
    state.snoozed.pop(key, None)
    state.daily_offered[key] = today.isoformat()  # today's offer is settled: nothing more today
    upcoming = reminders.next_offer_of(state, start, item, turn.now)
    if upcoming is None:
        turn.say(turn.msg("settings.snooze_no_more"))
    else:
        turn.say(turn.msg("settings.snooze_tomorrow_done", when=when(turn, upcoming)))


def reoffer_due(turn: Turn) -> None:
    """Send again each snoozed offer whose hour has come; forget those whose day has passed."""
    state = turn.state
    if not state.snoozed:
        return
    items = {key: prompt for key, _, prompt in schedule.keyed_daily_prompts(turn.programme, state)}
    for key in list(state.snoozed):
        at = reminders.snooze_due_at(state, key, turn.now)
        if at is None or key not in items:
            del state.snoozed[key]
            continue
        if at > turn.now:
            continue
        del state.snoozed[key]
        day: date = calendar.local_date(at, state.timezone)
        stamp = f"{at.astimezone(UTC):%Y%m%dT%H%M}"
        turn.send(dailies.offer(turn, key, items[key], day, dedup_key=f"snooze:{state.code}:{key}:{stamp}"))
