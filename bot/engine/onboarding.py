"""First contact, consent declined, and coming back after declining.

Onboarding modules (``programme.onboarding``) run before the programme's calendar starts; finishing the
last one starts week 0 (see ``progress.finish_module``).
"""

from __future__ import annotations

from datetime import date

from bot.engine.progress import check_unlocks, start_module
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
    """The trial service made the draw and told the arm: the arm's calendar starts on the allocation day."""
    state = turn.state
    if state.trial_stage != "allocating":
        return  # told already (a repeated request)
    state.trial_stage, state.arm, state.allocated_on = "allocated", arm, allocated_on
    state.status, state.start_date = "active", allocated_on
    turn.audit("programme_started", start_date=allocated_on.isoformat(), arm=arm)
    check_unlocks(turn, tell_wait=True)
