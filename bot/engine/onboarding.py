"""First contact, consent declined, and coming back after declining.

Onboarding modules (``programme.onboarding``) run before the programme's calendar starts; finishing the
last one starts week 0 (see ``progress.finish_module``).
"""

from __future__ import annotations

from datetime import date

from bot.engine.progress import check_unlocks, start_module
from bot.engine.trial_calendar import BEFORE_DRAW, baseline_modules
from bot.engine.turn import Turn


def begin(turn: Turn) -> None:
    turn.state.status = "onboarding"
    turn.audit("first_contact")
    start_module(turn, turn.programme.modules[turn.programme.onboarding[0]])


def offer_consent_again(turn: Turn) -> None:
    state, programme = turn.state, turn.programme
    state.status = "onboarding"
    turn.say(turn.msg("start.declined_again"))
    consent_module = next(
        mid for mid in programme.onboarding if any(s.kind == "consent" for s in programme.modules[mid].steps)
    )
    state.finished = [m for m in state.finished if m != consent_module]
    start_module(turn, programme.modules[consent_module])


def interviewed(turn: Turn, outcome: str) -> None:
    """The therapist's interview outcome reached the participant: an include opens the consent (the
    onboarding module with the consent step), an exclude says so kindly with where to seek help."""
    state, programme = turn.state, turn.programme
    if programme.trial is None or state.trial_stage not in ("applied", "to_interview", "excluded"):
        return  # not waiting for an interview (e.g. consent already shown): nothing to move on
    turn.audit("interview_outcome", outcome=outcome)
    if outcome != "include":
        state.trial_stage = "excluded"
        turn.say(turn.t(programme.trial.words.excluded))
        return
    state.trial_stage = "consent"
    turn.say(turn.t(programme.trial.words.included))
    remaining = [m for m in programme.onboarding if m not in state.finished]
    if remaining:
        start_module(turn, programme.modules[remaining[0]])


def allocated(turn: Turn, arm: str, allocated_on: date) -> None:
    """The trial service made the draw and told the arm: the arm's calendar goes on from baseline.

    Weeks still count from the first day of baseline, so the draw falls at the start of the week the
    arms part. A baseline module left unfinished when its window closed is closed unanswered: nothing
    of the baseline is asked once the participant knows their arm."""
    state = turn.state
    if state.trial_stage not in BEFORE_DRAW:
        return  # told already (a repeated request)
    if state.start_date is None:  # consented before baseline came first: the calendar starts now
        state.status, state.start_date = "active", allocated_on
    state.trial_stage, state.arm, state.allocated_on = "allocated", arm, state.start_date
    baseline = {m.id for m in baseline_modules(turn.programme)}
    for frame in [f for f in state.frames if f.module in baseline]:
        state.frames.remove(frame)
        turn.audit("baseline_closed_unfinished", module=frame.module)
        if frame.module not in state.finished and frame.detour is None:
            state.finished.append(frame.module)
    turn.audit("allocated", arm=arm, allocated_on=allocated_on.isoformat())
    check_unlocks(turn, tell_wait=True)
