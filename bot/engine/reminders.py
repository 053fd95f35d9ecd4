"""The participant's own clock: when a daily offer may go out, and what /pause does to the calendar.

Pure rules over the participant's state and preferences (values in, values out). ``tick`` (through
dailies and snoozing) and ``next_due`` ask the same questions, so the sweep, which wakes a participant
only at ``next_due``, finds exactly the work ``tick`` would do. The rules, as docs/architecture.md
("The participant's clock") states them for people:

- A daily prompt is due at the participant's reminder time (the content's ``at`` when none is set), as
  local wall time in their zone, on each day of its window. A wall time that does not exist on the
  spring-forward day (02:30 in Stockholm) is read with the offset before the change, so it fires at 03:30;
  one that exists twice on the autumn day fires at its first occurrence. A prompt is offered at most once
  a day, so either way it fires exactly once.
- Quiet hours ``[from, until)``: nothing proactive inside them. A reminder that falls inside moves to the
  end of the quiet hours when that is still the same day, and is dropped for that day when the quiet hours
  run past midnight. Anything else proactive (a module opening, the end of the programme) waits for
  the end of the quiet hours, whatever day that is: unlocks are never dropped.
- Daily cap: counts the daily offers sent on a local day; a non-essential offer beyond it is not sent that
  day. Essential ones are always sent (and count). Opting out drops non-essential offers altogether.
- Catch-up after downtime: a day's offer missed is sent late the same local day, never on a later day.
- Snooze "in an hour" re-offers an hour later when that is still the same day (moved out of the quiet
  hours like a reminder); otherwise, and for "tomorrow", the next regular offer is the next one.
- /pause: the programme calendar (module openings, daily windows) moves on by the local days paused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from bot.content.schema import DailyPrompt, FormStep, Module
from bot.engine import calendar
from bot.engine.model import ParticipantState, Preferences

SNOOZE_TOKEN = "Z"
HOUR, TOMORROW = "h", "t"
SNOOZE_DELAY = timedelta(hours=1)

Keyed = tuple[str, Module, DailyPrompt]  # a daily prompt with its key ("module.prompt")


def is_essential(prompt: DailyPrompt) -> bool:
    """Content decides; unset, a form (a diary: data the trial needs) is essential, practice is not."""
    if prompt.essential is not None:
        return prompt.essential
    return isinstance(prompt.step, FormStep)


# -- quiet hours -------------------------------------------------------------------------------------
def quiet_bounds(prefs: Preferences) -> tuple[time, time] | None:
    if prefs.quiet_from is None or prefs.quiet_until is None:
        return None
    return calendar.parse_hhmm(prefs.quiet_from), calendar.parse_hhmm(prefs.quiet_until)


def in_quiet(prefs: Preferences, wall: time) -> bool:
    bounds = quiet_bounds(prefs)
    if bounds is None:
        return False
    start, end = bounds
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end  # the quiet hours run past midnight


def out_of_quiet(prefs: Preferences, wall: time) -> time | None:
    """A reminder's wall time, moved to the end of the quiet hours the same day, or None (dropped)."""
    bounds = quiet_bounds(prefs)
    if bounds is None or not in_quiet(prefs, wall):
        return wall
    start, end = bounds
    if start < end or wall < end:
        return end
    return None  # the quiet hours end tomorrow: today's reminder is dropped


def quiet_now(state: ParticipantState, now: datetime) -> bool:
    return in_quiet(state.prefs, calendar.local_now(now, state.timezone).time())


def after_quiet(state: ParticipantState, due: datetime | None, now: datetime) -> datetime | None:
    """The moment ``tick`` can act on ``due``: not before now, and not inside the quiet hours."""
    if due is None:
        return None
    moment = max(due, now)
    local = calendar.local_now(moment, state.timezone)
    bounds = quiet_bounds(state.prefs)
    if bounds is None or not in_quiet(state.prefs, local.time()):
        return moment
    end = bounds[1]
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return calendar.at_local(day, end, state.timezone)


# -- daily offers ------------------------------------------------------------------------------------
def offer_time(prefs: Preferences, prompt: DailyPrompt) -> time | None:
    """The local wall time a prompt is offered at, or None when the quiet hours swallow it."""
    return out_of_quiet(prefs, calendar.parse_hhmm(prefs.reminder_time or prompt.at))


def offers_sent(state: ParticipantState, day: date) -> int:
    return state.reminder_count if state.reminded_on == day.isoformat() else 0


def count_offer(state: ParticipantState, day: date) -> None:
    state.reminder_count = offers_sent(state, day) + 1
    state.reminded_on = day.isoformat()


def wanted(state: ParticipantState, prompt: DailyPrompt, day: date) -> bool:
    """Opt-out and the daily cap hold back non-essential offers only."""
    if is_essential(prompt):
        return True
    prefs = state.prefs
    if prefs.essential_only:
        return False
    return prefs.daily_cap is None or offers_sent(state, day) < prefs.daily_cap


def offer_at(state: ParticipantState, start: date, module: Module, prompt: DailyPrompt, day: date) -> datetime | None:
    """The instant of ``day``'s offer, or None when the day is outside the window or quiet hours drop it."""
    first, last = calendar.daily_window(start, module, prompt)
    wall = offer_time(state.prefs, prompt)
    if not first <= day <= last or wall is None:
        return None
    return calendar.at_local(day, wall, state.timezone)


def handled_today(state: ParticipantState, key: str, today: date) -> bool:
    return today.isoformat() in (state.daily_offered.get(key), state.daily_done.get(key))


def due_today(state: ParticipantState, start: date, item: Keyed, now: datetime) -> bool:
    """Is today's offer of this prompt due now (and not yet sent, done, opted out of or capped)?"""
    key, module, prompt = item
    today = calendar.local_date(now, state.timezone)
    if handled_today(state, key, today) or not wanted(state, prompt, today):
        return False
    at = offer_at(state, start, module, prompt, today)
    return at is not None and at <= now


def next_offer_of(state: ParticipantState, start: date, item: Keyed, now: datetime) -> datetime | None:
    """The next regular offer of one prompt (in the past when today's is due and not yet sent)."""
    key, module, prompt = item
    today = calendar.local_date(now, state.timezone)
    if not handled_today(state, key, today) and wanted(state, prompt, today):
        at = offer_at(state, start, module, prompt, today)
        if at is not None:
            return at
    # Later days are all alike (nothing sent on them yet), so the first day of the window after today.
    day = max(calendar.daily_window(start, module, prompt)[0], today + timedelta(days=1))
    return offer_at(state, start, module, prompt, day) if wanted(state, prompt, day) else None


def next_offer(state: ParticipantState, start: date, items: Iterable[Keyed], now: datetime) -> datetime | None:
    """The earliest regular offer or snoozed re-offer of any of the participant's daily prompts."""
    due: list[datetime] = []
    for item in items:
        for at in (next_offer_of(state, start, item, now), snooze_due_at(state, item[0], now)):
            if at is not None:
                due.append(at)
    return min(due, default=None)


# -- snooze ------------------------------------------------------------------------------------------
def snooze_until(state: ParticipantState, day: date, choice: str, now: datetime) -> datetime | None:
    """When a snoozed offer of ``day`` comes again; None: not today, the next regular offer will do."""
    if choice != HOUR:
        return None
    at = now + SNOOZE_DELAY
    local = calendar.local_now(at, state.timezone)
    if local.date() != day:
        return None
    wall = out_of_quiet(state.prefs, local.time())
    if wall is None:
        return None
    return at if wall == local.time() else calendar.at_local(day, wall, state.timezone)


def snooze_due_at(state: ParticipantState, key: str, now: datetime) -> datetime | None:
    """The pending re-offer of ``key``; None when there is none, its day has passed or it was done."""
    stamp = state.snoozed.get(key)
    if stamp is None:
        return None
    at = datetime.fromisoformat(stamp)
    day = calendar.local_date(at, state.timezone)
    if day < calendar.local_date(now, state.timezone) or state.daily_done.get(key) == day.isoformat():
        return None
    return at


# -- /pause ------------------------------------------------------------------------------------------
def programme_start(state: ParticipantState) -> date | None:
    """The day the programme calendar counts from: the consent day, moved on by the days paused."""
    if state.start_date is None or not state.held_days:
        return state.start_date
    return state.start_date + timedelta(days=state.held_days)


def hold(state: ParticipantState, now: datetime) -> None:
    """/pause: remember the day, so /resume can move the calendar on by the days paused."""
    state.paused_on = calendar.local_date(now, state.timezone).isoformat()


def release(state: ParticipantState, now: datetime) -> int:
    """/resume: move the calendar on by the whole local days paused; returns how many."""
    if state.paused_on is None:
        return 0
    paused_on = date.fromisoformat(state.paused_on)
    state.paused_on = None
    if state.start_date is None:
        return 0  # paused before the programme started: there is no calendar to move yet
    days = (calendar.local_date(now, state.timezone) - max(paused_on, state.start_date)).days
    if days <= 0:
        return 0
    state.held_days += days
    return days
