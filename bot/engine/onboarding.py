"""First contact, consent declined, and coming back after declining.

Onboarding modules (``programme.onboarding``) run before the programme's calendar starts; finishing the
last one starts week 0 (see ``progress.finish_module``).
"""

from __future__ import annotations

from bot.engine.progress import start_module
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
