"""Programme time for one participant: which module is next, when it opens, which daily prompts run.

Pure questions over the participant's state and the programme; nothing here changes state. Both the
event path (``/menu``, unlocks) and ``next_due`` ask them, so a date shown to the participant and the
moment the sweep acts always agree.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bot.content.programme import Programme
from bot.content.schema import DailyPrompt, Module
from bot.engine import calendar, planned, reminders, trial_calendar, weekly
from bot.engine.model import ParticipantState
from bot.engine.turn import Turn


def daily_key(module: Module, prompt: DailyPrompt) -> str:
    return f"{module.id}.{prompt.id}"


def next_unfinished(programme: Programme, state: ParticipantState, skip_announced: bool = False) -> Module | None:
    """The first scheduled module not finished and not in progress (optionally not yet announced)."""
    busy = {f.module for f in state.frames if f.detour is None}
    for module in trial_calendar.scheduled(programme, state):  # the arm's modules, in a trial
        if module.id in state.finished or module.id in busy:
            continue
        if skip_announced and module.id in state.announced:
            continue
        return module
    return None


def opens_at(programme: Programme, state: ParticipantState, module: Module) -> datetime:
    start = reminders.programme_start(state)
    assert start is not None
    return calendar.module_opens_at(start, module, programme.spec.release_hour, state.timezone)


def passed(programme: Programme, state: ParticipantState, module: Module, step_id: str) -> bool:
    """Has the participant gone past ``step_id`` of ``module`` (or finished the module)?"""
    if module.id in state.finished:
        return True
    frame = next((f for f in state.frames if f.module == module.id and not f.daily and f.detour is None), None)
    index = programme.step_index(module.id, step_id)
    return frame is not None and programme.step_index(module.id, frame.step) > index


def daily_prompts(programme: Programme, state: ParticipantState) -> tuple[tuple[Module, DailyPrompt], ...]:
    """The daily prompts this participant has reached: module started, ``after`` step done."""
    return _reached(programme, state)[0]


def keyed_daily_prompts(programme: Programme, state: ParticipantState) -> tuple[reminders.Keyed, ...]:
    return _reached(programme, state)[1]


# A tick and the next due time after it ask for the prompts a participant has reached several times,
# and on one evening many participants stand at the same place. The answer depends on nothing but
# the programme, the arm and where the participant is (modules announced and finished, the frames'
# steps), so it is kept by those; an entry holds its programme and is used for that object only.
_REACHED: dict[tuple[Any, ...], tuple[Programme, tuple[Any, ...], tuple[Any, ...]]] = {}


def _reached(programme: Programme, state: ParticipantState) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    frames = tuple((f.module, f.step, f.daily, f.detour) for f in state.frames)
    key = (id(programme), state.arm, state.crossover, state.trial_stage in trial_calendar.BEFORE_DRAW,
           tuple(state.announced), tuple(state.finished), frames)  # fmt: skip
    entry = _REACHED.get(key)
    if entry is None or entry[0] is not programme:
        active = []
        for module in trial_calendar.scheduled(programme, state):  # the arm's modules, in a trial
            if module.id not in state.announced:
                continue
            for prompt in module.daily:
                if prompt.after is None or passed(programme, state, module, prompt.after):
                    active.append((module, prompt))
        if len(_REACHED) >= 4096:
            _REACHED.clear()
        keyed = tuple((daily_key(module, prompt), module, prompt) for module, prompt in active)
        entry = _REACHED[key] = (programme, tuple(active), keyed)
    return entry[1], entry[2]


def dailies_remaining(programme: Programme, state: ParticipantState, now: datetime) -> bool:
    start = reminders.programme_start(state)
    assert start is not None
    today = calendar.local_date(now, state.timezone)
    return any(
        calendar.daily_window(start, module, prompt)[1] >= today for module, prompt in daily_prompts(programme, state)
    )


def last_daily_day(programme: Programme, state: ParticipantState) -> date | None:
    """The local day after which no daily prompt of this participant runs any more."""
    start = reminders.programme_start(state)
    assert start is not None
    days = [calendar.daily_window(start, m, d)[1] for m, d in daily_prompts(programme, state)]
    return max(days, default=None)


def next_due(programme: Programme, state: ParticipantState, now: datetime) -> datetime | None:
    """When ``tick`` next has something to do for this participant (None: nothing planned)."""
    if state.status != "active" or state.paused or state.held or state.start_date is None:
        return None
    tz, start, due = state.timezone, reminders.programme_start(state), []
    assert start is not None
    pending = next_unfinished(programme, state, skip_announced=bool(state.frames))
    if pending is not None:
        due.append(opens_at(programme, state, pending))
    offer = reminders.next_offer(state, start, keyed_daily_prompts(programme, state), now)
    if offer is not None:
        due.append(offer)
    arm_due = trial_calendar.next_due(programme, state)  # check-ins and the crossover offer
    if arm_due is not None:
        due.append(arm_due)
    reminder = planned.next_planned(state)
    if reminder is not None:
        due.append(reminder)
    reports = weekly.pending_of(programme, state)
    if reports:  # a turn only to ask when each is next due (most evenings there is none)
        turn = Turn(programme, state, now)
        due.extend(weekly.next_action_at(turn, module) for module in reports)
    if not due and not state.frames and not trial_calendar.before_draw(programme, state):
        # Everything is done and no diary is left: the next sweep marks the programme complete.
        last_day = last_daily_day(programme, state)
        release = time(programme.spec.release_hour)
        due.append(now if last_day is None else calendar.at_local(last_day + timedelta(days=1), release, tz))
    return min(due) if due else None
