"""Routing one answer: a typed text or a pressed button goes to the step it belongs to.

A button's data starts with a token: the prompt's fingerprint (answers the current step), ``D`` (a daily
offer), ``Z`` (snoozing one), ``S`` (/settings) or a detour token (/mywork, /modules). Anything else is an old button and gets the current step
shown again.
"""

from __future__ import annotations

from bot.engine import (
    application,
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
    withdrawal,
)
from bot.engine.model import Inbound
from bot.engine.progress import announce_opened, check_unlocks, resume, settle
from bot.engine.questions import relay_free_text
from bot.engine.steps import accept
from bot.engine.turn import Turn, frame_token


def answer(turn: Turn, inbound: Inbound) -> None:
    state = turn.state
    if preferences.route(turn, inbound):
        return  # /settings works at every stage, before consent too
    if state.status == "new":
        onboarding.begin(turn)
        return
    value, via_button = inbound.text, inbound.kind == "choice"
    if state.status == "withdrawn":
        if not via_button and value.strip():  # still screened, and it still reaches the study team
            risk.screen_text(turn, value, "withdrawn")
            relay_free_text(turn, value, asked=True, attachment=turn.attachment)
        turn.say(turn.msg("trial.withdrawn_here"))
        return
    if state.status == "declined":
        turn.say(turn.msg("consent.declined"))
        return
    if not via_button and _screened_while_held(turn, value):
        return
    if diary_rules.close_expired(turn) and not via_button:
        # the typed answer was for a day now closed: still screened, then where they are now
        if risk.screen_text(turn, value, "diary_closed") is None:
            turn.say(turn.msg("measures.diary_closed"))
            resume(turn, full=True)
        return
    if via_button and inbound.text.partition("|")[0] == risk.HOLD_TOKEN:
        risk.release(turn)
        if state.applying is not None:
            application.ask(turn)
        else:
            resume(turn)
        return
    if via_button and inbound.text.partition("|")[0] == withdrawal.WITHDRAW_TOKEN:
        withdrawal.on_button(turn, inbound.text.partition("|")[2])  # at every stage, the application included
        if state.status != "withdrawn":  # they stay: back to where they were
            if state.applying is not None:
                application.ask(turn, full=False)
            else:
                resume(turn, full=False)
        return
    if state.applying is not None:
        if not via_button and risk.screen_text(turn, value, "application") is not None:
            risk.hold_prompt(turn)  # the words are with the therapists; the question is asked again later
            return
        application.answer(turn, inbound)
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
        if state.frame is None or token != frame_token(state.frame):
            turn.say(turn.msg("reprompt.stale_button"))
            resume(turn, full=False)
            return
    frame = state.frame
    hit = risk.screen_text(turn, value, frame.step if frame is not None else "free") if not via_button else None
    if frame is None and state.trial_stage in application.TURNED_DOWN:
        if hit is None:  # not taken into the study: the kind words again, not the programme's help
            application.tell_where(turn, welcome_back=False)
        return
    if frame is None:
        relay_free_text(turn, value if not via_button else "", attachment=turn.attachment)
        return
    settle(turn, accept(turn, frame, turn.step_of(frame), value, via_button))


def _screened_while_held(turn: Turn, text: str) -> bool:
    """While the programme is held after a risk hit, what the participant types goes to the therapist
    (screened again), not into a step they cannot see; the pause is shown again."""
    if not turn.state.held:
        return False
    risk.screen_text(turn, text, "held")
    relay_free_text(turn, text, attachment=turn.attachment)
    risk.hold_prompt(turn)
    return True
