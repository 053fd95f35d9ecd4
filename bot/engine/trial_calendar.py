"""Each trial arm's calendar inside the engine: which modules an arm opens, the waiting list's check-ins
and the crossover offer.

The programme calendar counts from the allocation day (``start_date``). The treatment arm opens every
scheduled module as the programme's phases say; the waiting list opens only the modules of its
non-waiting phases (baseline, post), gets a short check-in at the start of every second waiting week,
and after its last week is offered the programme (``crossover``). Accepting moves the calendar so
that the first treatment module opens at once and then one a week. Dates come from bot/trial/arms.py.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.content.programme import Programme
from bot.content.schema import Module
from bot.content.trial_schema import Arm
from bot.engine import calendar
from bot.engine.model import Button, ParticipantState
from bot.engine.turn import Turn
from bot.trial.arms import check_in_days, crossover_day, last_week, open_modules

CROSSOVER_TOKEN = "XO"  # button data: "XO|yes" / "XO|no"


def arm_of(programme: Programme, state: ParticipantState) -> Arm | None:
    if state.arm is None or programme.trial is None:
        return None
    return next((a for a in programme.trial.arms if a.id == state.arm), None)


def scheduled(programme: Programme, state: ParticipantState) -> tuple[Module, ...]:
    """The scheduled modules this participant's arm opens (all of them outside a trial, or after crossover)."""
    arm = arm_of(programme, state)
    if arm is None or state.crossover == "accepted":
        return programme.scheduled
    allowed = set(open_modules(programme, arm, last_week(arm)))
    return tuple(m for m in programme.scheduled if m.id in allowed)


def crossover_pending(programme: Programme, state: ParticipantState) -> bool:
    """An arm with a crossover whose offer has not been answered: the programme is not over yet."""
    arm = arm_of(programme, state)
    return arm is not None and arm.crossover and state.crossover in (None, "offered")


def _allocated_on(state: ParticipantState) -> date:
    assert state.start_date is not None
    return state.allocated_on or state.start_date


def next_due(programme: Programme, state: ParticipantState) -> datetime | None:
    """The next check-in or the crossover offer, at the programme's release hour (local)."""
    arm = arm_of(programme, state)
    if arm is None or state.start_date is None:
        return None
    release = time(programme.spec.release_hour)
    days = [d for d in check_in_days(arm, _allocated_on(state)) if d.isoformat() not in state.check_ins]
    cross = crossover_day(arm, _allocated_on(state))
    if cross is not None and state.crossover is None:
        days.append(cross)
    return min((calendar.at_local(d, release, state.timezone) for d in days), default=None)


def offer_due(turn: Turn) -> None:
    """Send the check-ins and the crossover offer whose day has come (each once)."""
    state, programme = turn.state, turn.programme
    arm = arm_of(programme, state)
    if arm is None or state.start_date is None:
        return
    due = next_due(programme, state)
    if due is None or due > turn.now:
        return
    for day in check_in_days(arm, _allocated_on(state)):
        key = day.isoformat()
        if key not in state.check_ins and calendar.at_local(day, time(programme.spec.release_hour),
                                                             state.timezone) <= turn.now:  # fmt: skip
            state.check_ins.append(key)
            turn.say(turn.msg("trial.check_in"))
            turn.audit("trial_check_in", day=key)
    cross = crossover_day(arm, _allocated_on(state))
    release = time(programme.spec.release_hour)
    if cross is not None and state.crossover is None and calendar.at_local(cross, release, state.timezone) <= turn.now:
        state.crossover = "offered"
        buttons = (
            (Button(turn.msg("trial.crossover_yes"), f"{CROSSOVER_TOKEN}|yes"),),
            (Button(turn.msg("trial.crossover_no"), f"{CROSSOVER_TOKEN}|no"),),
        )
        turn.say(turn.t(arm.crossover_offer), buttons)
        turn.audit("crossover_offered")


def answer_crossover(turn: Turn, value: str) -> bool:
    """The participant's answer to the crossover offer; True when the programme now opens."""
    state = turn.state
    if state.crossover != "offered":
        turn.say(turn.msg("reprompt.stale_button"))
        return False
    waited = {m.id for m in scheduled(turn.programme, state)}  # the arm's own modules (baseline, post)
    first = next((m for m in turn.programme.scheduled if m.id not in waited | set(state.finished)), None)
    if value != "yes" or first is None:
        state.crossover = "declined"
        turn.audit("crossover_declined")
        turn.say(turn.msg("trial.crossover_declined"))
        return False
    # Count the calendar so that the first module the arm waited for opens today, then one a week.
    today = calendar.local_date(turn.now, state.timezone)
    state.crossover = "accepted"
    state.start_date, state.held_days = today - timedelta(weeks=first.week or 0), 0
    turn.audit("crossover_accepted")
    return True
