"""Each trial arm's calendar inside the engine: which modules an arm opens, the waiting list's check-ins
and the crossover offer.

The programme calendar counts from the first day of baseline (``start_date``, the day of consent): the
seed's order is consent, then the baseline questionnaires and two weeks of baseline diary, and only
then the draw, so nobody answers a baseline knowing their arm. Before the draw only the modules that
every arm shares at the start (``baseline_modules``) open; the draw is due at the start of the first
week in which the arms differ (``draw_week``) once the baseline modules are finished, and at the
latest a week later, when the baseline window closes (``draw_at``). The treatment arm opens every
scheduled module as the programme's phases say; the waiting list opens only the modules of its
non-waiting phases (baseline, post), gets a short check-in at the start of every second waiting week,
and after its last week is offered the programme (``crossover``). Accepting moves the calendar so
that the first treatment module opens at once and then one a week. Weeks are read by the content model (``Arm``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.content.programme import Programme
from bot.content.schema import Module
from bot.content.trial_schema import Arm
from bot.engine import calendar, reminders
from bot.engine.model import Button, ParticipantState
from bot.engine.turn import Turn

CROSSOVER_TOKEN = "XO"  # button data: "XO|yes" / "XO|no"


def arm_of(programme: Programme, state: ParticipantState) -> Arm | None:
    if state.arm is None or programme.trial is None:
        return None
    return next((a for a in programme.trial.arms if a.id == state.arm), None)


BEFORE_DRAW = ("baseline", "allocating")  # consented, baseline under way; the draw still to come
BASELINE_GRACE = timedelta(weeks=1)  # an unfinished baseline waits this long after its window, then the draw goes ahead


def before_draw(programme: Programme, state: ParticipantState) -> bool:
    return programme.trial is not None and state.arm is None and state.trial_stage in BEFORE_DRAW


def draw_week(programme: Programme) -> int:
    """The first week in which the arms' calendars differ: the draw is told at its start."""
    trial = programme.trial
    assert trial is not None
    week = 0
    while len({(p.phase if (p := arm.phase_at(week)) else None) for arm in trial.arms}) == 1 and week < 520:
        week += 1
    return week


def baseline_modules(programme: Programme) -> tuple[Module, ...]:
    """The scheduled modules every arm opens before the draw (the baseline questionnaires and diary)."""
    week = draw_week(programme)
    return tuple(m for m in programme.scheduled if m.week is not None and m.week < week)


def draw_at(programme: Programme, state: ParticipantState) -> datetime | None:
    """When the draw is due: the start of the draw week if the baseline modules are finished by then
    (else as soon as they are), at the latest a week later when the baseline window closes."""
    start = reminders.programme_start(state)
    if not before_draw(programme, state) or start is None:
        return None
    opens = calendar.at_local(start + timedelta(weeks=draw_week(programme)), time(programme.spec.release_hour),
                              state.timezone)  # fmt: skip
    done = all(m.id in state.finished for m in baseline_modules(programme))
    return opens if done else opens + BASELINE_GRACE


def draw_due(programme: Programme, state: ParticipantState, now: datetime) -> bool:
    due = draw_at(programme, state)
    return state.trial_stage == "baseline" and due is not None and due <= now


def scheduled(programme: Programme, state: ParticipantState) -> tuple[Module, ...]:
    """The scheduled modules this participant's arm opens (all of them outside a trial, or after
    crossover; before the draw only the baseline modules every arm shares)."""
    if before_draw(programme, state):
        return baseline_modules(programme)
    arm = arm_of(programme, state)
    if arm is None or state.crossover == "accepted":
        return programme.scheduled
    allowed = set(programme.arm_modules(arm, arm.last_week))
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
    days = [d for d in arm.check_in_days(_allocated_on(state)) if d.isoformat() not in state.check_ins]
    cross = arm.crossover_day(_allocated_on(state))
    if cross is not None and state.crossover is None:
        days.append(cross)
    return min((calendar.at_local(d, release, state.timezone) for d in days), default=None)


def offer_due(turn: Turn) -> date | None:
    """Send the check-ins and the crossover offer whose day has come (each once); the day of the
    check-in just said, whose mood questions the caller starts (``symptom_watch.give``)."""
    state, programme = turn.state, turn.programme
    arm = arm_of(programme, state)
    if arm is None or state.start_date is None:
        return None
    due = next_due(programme, state)
    if due is None or due > turn.now:
        return None
    due_days = [d for d in arm.check_in_days(_allocated_on(state)) if d.isoformat() not in state.check_ins
                and calendar.at_local(d, time(programme.spec.release_hour), state.timezone) <= turn.now]  # fmt: skip
    for day in due_days:  # after a long pause only the newest check-in is said and asked
        state.check_ins.append(day.isoformat())
        turn.audit("trial_check_in", day=day.isoformat())
    if due_days:
        turn.say(turn.msg("trial.check_in"))
    cross = arm.crossover_day(_allocated_on(state))
    release = time(programme.spec.release_hour)
    if cross is not None and state.crossover is None and calendar.at_local(cross, release, state.timezone) <= turn.now:
        state.crossover = "offered"
        buttons = (
            (Button(turn.msg("trial.crossover_yes"), f"{CROSSOVER_TOKEN}|yes"),),
            (Button(turn.msg("trial.crossover_no"), f"{CROSSOVER_TOKEN}|no"),),
        )
        turn.say(turn.t(arm.crossover_offer), buttons)
        turn.audit("crossover_offered")
    return due_days[-1] if due_days else None


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
