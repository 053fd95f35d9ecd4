"""Daily prompts (pain diary, practice reminders): offered once a day at their time, opened by a button.

The offer's button carries the prompt and the day it is for, so an old offer opens that day's entry and
a finished day cannot be filled twice.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from bot.content.schema import DailyPrompt, Module
from bot.engine import calendar, diary_rules, reminders, schedule
from bot.engine.model import Button, Frame, Outbound, RelayRecord
from bot.engine.progress import resume
from bot.engine.steps import present
from bot.engine.turn import Turn

DAILY_TOKEN = "D"


def short_key(key: str) -> str:
    return hashlib.blake2s(key.encode(), digest_size=5).hexdigest()


def offer_due(turn: Turn) -> None:
    """Offer each daily prompt whose time has come today and that was not offered or done today.

    When, and whether at all, is the participant's own clock (bot/engine/reminders.py); essential
    prompts go first so that a daily cap never holds back a diary in favour of a practice reminder.
    """
    state = turn.state
    start = reminders.programme_start(state)
    assert start is not None
    today = calendar.local_date(turn.now, state.timezone)
    items = schedule.keyed_daily_prompts(turn.programme, state)
    if len(items) > 1:
        items = tuple(sorted(items, key=lambda i: not reminders.is_essential(i[2])))
    for item in items:
        if not reminders.due_today(state, start, item, turn.now):
            continue
        key, _, prompt = item
        state.daily_offered[key] = today.isoformat()
        reminders.count_offer(state, today)
        turn.send(offer(turn, key, prompt, today, dedup_key=f"daily:{state.code}:{key}:{today.isoformat()}"))
        if reminders.is_essential(prompt):
            alert_if_missed(turn, key, item[1], prompt, start, today)


MISSED_DAYS = 3  # a diary not filled in on this many offered days in a row: the therapist is told, once


def alert_if_missed(turn: Turn, key: str, module: Module, prompt: DailyPrompt, start: date, today: date) -> None:
    """A diary left unfilled for several days is a sign to check in: one alert per gap, for the therapist."""
    state = turn.state
    done = state.daily_done.get(key)
    since = date.fromisoformat(done) if done else calendar.daily_window(start, module, prompt)[0] - timedelta(days=1)
    if (today - since).days <= MISSED_DAYS:
        return
    record = state.reports.setdefault(f"diary:{key}", {})
    if record.get("alerted_after") == (done or ""):
        return
    record["alerted_after"] = done or ""
    lang = turn.programme.spec.default_language
    text = turn.programme.msg(lang, "daily.staff_missed", title=turn.programme.text(prompt.title, lang),
                              days=(today - since).days - 1)  # fmt: skip
    turn.effects.relays.append(RelayRecord(source=f"alert:diary_missed:{key}", text=text, kind="alert"))
    turn.audit("diary_missed_alert", prompt=key)


# An evening's offers of one prompt are alike for everyone with the same language (a sweep builds
# 100,000 of them): their text and buttons are made once. An entry keeps its programme and is used
# only for that very object, so content loaded anew never meets an old entry.
_OFFERS: dict[tuple[int, str, str, date], tuple[object, str, tuple[tuple[Button, ...], ...]]] = {}


def offer(turn: Turn, key: str, prompt: DailyPrompt, day: date, dedup_key: str) -> Outbound:
    """A daily offer: open the day's entry now, or snooze it (in an hour, or until tomorrow)."""
    cache_key = (id(turn.programme), turn.lang, key, day)
    parts = _OFFERS.get(cache_key)
    if parts is None or parts[0] is not turn.programme:
        ref = f"{short_key(key)}|{day:%Y%m%d}"
        snooze = reminders.SNOOZE_TOKEN
        buttons = (
            (Button(turn.msg("buttons.start_diary"), f"{DAILY_TOKEN}|{ref}"),),
            (Button(turn.msg("settings.snooze_hour"), f"{snooze}|{ref}|{reminders.HOUR}"),
             Button(turn.msg("settings.snooze_tomorrow"), f"{snooze}|{ref}|{reminders.TOMORROW}")),
        )  # fmt: skip
        if len(_OFFERS) >= 1024:
            _OFFERS.clear()
        parts = _OFFERS[cache_key] = (turn.programme, turn.msg("daily.offer", title=turn.t(prompt.title)), buttons)
    return Outbound(text=parts[1], buttons=parts[2], dedup_key=dedup_key)


def open_daily(turn: Turn, value: str) -> None:
    """The participant pressed a daily offer's button (``value`` = short key | YYYYMMDD).

    The rules of bot/engine/diary_rules.py decide: a day of the window, not done yet, before its cut-off."""
    state = turn.state
    short, _, ymd = value.partition("|")
    day = diary_rules.parse_ymd(ymd)
    for module, prompt in schedule.daily_prompts(turn.programme, state):
        key = schedule.daily_key(module, prompt)
        if short_key(key) != short or day is None:
            continue
        verdict = diary_rules.verdict(turn, module, prompt, key, day)
        if verdict != "ok":
            turn.audit("daily_refused", prompt=key, verdict=verdict)
            if verdict == "already_done":
                turn.say(turn.msg("daily.already_done"))
            elif verdict == "too_late":
                turn.say(turn.msg("measures.diary_too_late"))
            else:
                break
            return
        iso = day.isoformat()
        top = state.frame
        if top is not None and top.daily == prompt.id and top.module == module.id and top.day == iso:
            resume(turn, full=True)
            return
        frame = Frame(module=module.id, step=prompt.step.id, daily=prompt.id, day=iso, entry=f"{prompt.id}:{iso}")
        state.frames.append(frame)
        present(turn, frame, prompt.step)
        return
    turn.say(turn.msg("reprompt.stale_button"))
    resume(turn, full=False)
