"""Daily prompts (pain diary, practice reminders): offered once a day at their time, opened by a button.

The offer's button carries the prompt and the day it is for, so an old offer opens that day's entry and
a finished day cannot be filled twice.
"""

from __future__ import annotations

import hashlib

from bot.engine import calendar, schedule
from bot.engine.model import Button, Frame, Outbound
from bot.engine.progress import resume
from bot.engine.steps import present
from bot.engine.turn import Turn

DAILY_TOKEN = "D"


def short_key(key: str) -> str:
    return hashlib.blake2s(key.encode(), digest_size=5).hexdigest()


def offer_due(turn: Turn) -> None:
    """Offer each daily prompt whose time has come today and that was not offered or done today."""
    state = turn.state
    assert state.start_date is not None
    local = calendar.local_now(turn.now, state.timezone)
    today = local.date().isoformat()
    for module, prompt in schedule.daily_prompts(turn.programme, state):
        key = schedule.daily_key(module, prompt)
        first, last = calendar.daily_window(state.start_date, module, prompt)
        if not first <= local.date() <= last or local.time() < calendar.parse_hhmm(prompt.at):
            continue
        if today in (state.daily_offered.get(key), state.daily_done.get(key)):
            continue
        state.daily_offered[key] = today
        data = f"{DAILY_TOKEN}|{short_key(key)}|{local.date():%Y%m%d}"
        turn.send(Outbound(
            text=turn.msg("daily.offer", title=turn.t(prompt.title)),
            buttons=((Button(turn.msg("buttons.start_diary"), data),),),
            dedup_key=f"daily:{state.code}:{key}:{today}",
        ))  # fmt: skip


def open_daily(turn: Turn, value: str) -> None:
    """The participant pressed a daily offer's button (``value`` = short key | YYYYMMDD)."""
    state = turn.state
    short, _, ymd = value.partition("|")
    for module, prompt in schedule.daily_prompts(turn.programme, state):
        key = schedule.daily_key(module, prompt)
        if short_key(key) != short:
            continue
        day = f"{ymd[:4]}-{ymd[4:6]}-{ymd[6:8]}"
        if state.daily_done.get(key) == day:
            turn.say(turn.msg("daily.already_done"))
            return
        top = state.frame
        if top is not None and top.daily == prompt.id and top.module == module.id and top.day == day:
            resume(turn, full=True)
            return
        frame = Frame(module=module.id, step=prompt.step.id, daily=prompt.id, day=day, entry=f"{prompt.id}:{day}")
        state.frames.append(frame)
        present(turn, frame, prompt.step)
        return
    turn.say(turn.msg("reprompt.stale_button"))
    resume(turn, full=False)
