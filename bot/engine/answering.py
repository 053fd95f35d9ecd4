"""Routing one answer: a typed text or a pressed button goes to the step it belongs to.

A button's data starts with a token: the prompt's fingerprint (answers the current step), ``D`` (a daily
offer), ``Z`` (snoozing one), ``S`` (/settings) or a detour token (/mywork, /modules). Anything else is an old button and gets the current step
shown again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from bot.engine import (
    dailies,
    detours,
    diary_rules,
    onboarding,
    preferences,
    reminders,
    reports,
    risk,
    snoozing,
    trial_calendar,
    weekly,
)
from bot.engine.model import TURNED_DOWN, Inbound
from bot.engine.progress import announce_opened, check_unlocks, resume, settle
from bot.engine.questions import relay_free_text
from bot.engine.steps import accept
from bot.engine.turn import Turn, frame_token
from bot.errors import InputRejected
from bot.safety import RiskHit


def answer(turn: Turn, inbound: Inbound) -> None:
    """Typed words are screened first, wherever the participant is; then they go where they belong."""
    if inbound.kind == "choice" or not inbound.text.strip():
        _route(turn, inbound, None)
        return
    held_before = turn.state.held
    hit = risk.screen_text(turn, inbound.text)
    if held_before:  # during the pause the words go to the team (a hit's record carries them already)
        if hit is None:
            relay_free_text(turn, inbound.text, attachment=turn.attachment)
        risk.hold_prompt(turn)
        return
    if hit is None:
        _route(turn, inbound, None)
    elif not hit.urgent:
        try:
            _route(turn, inbound, hit)
        except InputRejected:  # not an answer to the step: asked again, without a "didn't catch that"
            if turn.state.applying is not None:
                turn.rules.trial.ask(turn, full=False)
            else:
                resume(turn, full=False)
    elif turn.state.applying is not None:
        risk.hold_prompt(turn)  # the question is asked again when they carry on
    else:
        after_crisis(turn, lambda: _route(turn, inbound, hit))


def after_crisis(turn: Turn, handle: Callable[[], None]) -> None:
    """Let the step take the words (they are stored like any answer), but say nothing after the crisis
    message except the pause: no re-prompt, no "see you tomorrow"."""
    said = len(turn.effects.outbound)
    with contextlib.suppress(InputRejected):  # not an answer to the step: asked again when they carry on
        handle()
    del turn.effects.outbound[said:]
    risk.hold_prompt(turn)


def _route(turn: Turn, inbound: Inbound, hit: RiskHit | None) -> None:
    """Where an answer goes; ``hit`` is the screen's finding on it (already answered), or None."""
    state = turn.state
    if preferences.route(turn, inbound):
        return  # /settings works at every stage, before consent too
    if state.status == "new":
        onboarding.begin(turn)
        return
    value, via_button = inbound.text, inbound.kind == "choice"
    if state.status == "withdrawn":
        if not via_button and value.strip() and hit is None:  # screened above; it still reaches the team
            relay_free_text(turn, value, asked=True, attachment=turn.attachment)
        turn.say(turn.msg("trial.withdrawn_here"))
        return
    if state.status == "declined":
        turn.say(turn.msg("consent.declined"))
        return
    if diary_rules.close_expired(turn) and not via_button:
        # the typed answer was for a day now closed: screened above, then where they are now
        turn.say(turn.msg("measures.diary_closed"))
        resume(turn, full=True)
        return
    if via_button and inbound.text.partition("|")[0] == risk.HOLD_TOKEN:
        carry_on(turn)
        return
    if via_button and inbound.text.partition("|")[0] == turn.rules.trial.withdraw_token:
        turn.rules.trial.on_withdraw_button(turn, inbound.text.partition("|")[2])  # at every stage, applying too
        if state.status != "withdrawn":  # they stay: back to where they were
            if state.applying is not None:
                turn.rules.trial.ask(turn, full=False)
            else:
                resume(turn, full=False)
        return
    if state.applying is not None:
        turn.rules.trial.answer(turn, inbound, quiet=hit is not None)
        return
    if via_button:
        token, _, value = inbound.text.partition("|")
        if token == reminders.SNOOZE_TOKEN:
            snoozing.snooze(turn, value)
            return
        if token == trial_calendar.CROSSOVER_TOKEN:
            if trial_calendar.answer_crossover(turn, value):
                turn.say(turn.msg("trial.crossover_started"))
                if state.frames:
                    announce_opened(turn)  # busy with something: say the module is open, once
                else:
                    check_unlocks(turn, tell_wait=True)
            return
        if token == dailies.DAILY_TOKEN:
            dailies.open_daily(turn, value)
            return
        if token == weekly.REPORT_TOKEN:
            reports.on_button(turn, value)
            return
        if token in detours.TOKENS:
            detours.open_detour(turn, token, value)
            return
        if state.frame is None and state.trial_stage in TURNED_DOWN:
            turn.say(turn.msg("trial.old_button_turned_down"))  # e.g. the consent's "I agree" after an exclude
            return
        if state.frame is None or token != frame_token(state.frame):
            turn.say(turn.msg("reprompt.stale_button"))
            resume(turn, full=False)
            return
    frame = state.frame
    if frame is None and state.trial_stage in TURNED_DOWN:
        if hit is None:  # not taken into the study: the kind words again, not the programme's help
            turn.rules.trial.tell_where(turn, welcome_back=False)
        return
    if frame is None:
        if hit is None:  # a hit's record already carries the words, with a same-day promise
            relay_free_text(turn, value if not via_button else "", attachment=turn.attachment)
        return
    settle(turn, accept(turn, frame, turn.step_of(frame), value, via_button))


def carry_on(turn: Turn, by: str = "participant") -> None:
    """The pause after a risk hit ends: the interrupted step (or application question) comes back."""
    state = turn.state
    released = risk.release(turn, by)
    if by != "participant" and released:
        turn.say(turn.msg("safety.released"))
    if state.status == "new":
        onboarding.begin(turn)
    elif state.applying is not None:
        turn.rules.trial.ask(turn)
    elif state.status == "withdrawn":
        turn.say(turn.msg("trial.withdrawn_here"))
    elif state.status == "declined":
        turn.say(turn.msg("consent.declined"))
    else:
        said = len(turn.effects.outbound)
        resume(turn)
        if len(turn.effects.outbound) == said:  # nothing to go back to (after the programme): never silent
            turn.say(turn.msg("safety.carried_on"))
