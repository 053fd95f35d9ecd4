"""Words for the therapist: ``/ask``, and free text that answers no open question.

The engine only records a ``RelayRecord``; the relay (bot/relay) routes it to the participant's
therapist. What the participant is told here must stay true to what the relay does.
"""

from __future__ import annotations

from typing import Any

from bot.engine.model import AWAITING_INTERVIEW, Frame, RelayRecord
from bot.engine.progress import resume
from bot.engine.turn import ASK, TECH_HELP, Turn


def in_trial(turn: Turn) -> bool:
    """The chat runs the trial: /withdraw exists and the application comes before the consent."""
    return turn.policy.trial and turn.programme.trial is not None


def help_text(turn: Turn) -> str:
    """The /help text: /withdraw is listed only where it exists (the chat runs a trial)."""
    return turn.msg("help", withdraw=turn.msg("help_withdraw") if in_trial(turn) else "")


def relay_free_text(turn: Turn, text: str, asked: bool = False, attachment: dict[str, Any] | None = None) -> None:
    """Free text with no question open goes to the therapist (always, when sent with /ask)."""
    text = text.strip()
    waiting = turn.state.trial_stage in AWAITING_INTERVIEW and not turn.state.frames  # for the interview
    if not (text or attachment) or (not asked and turn.state.status not in ("active", "completed") and not waiting):
        turn.say(help_text(turn))
        return
    kind = "question" if asked else "free"
    data = {"attachment": attachment} if attachment else {}
    turn.effects.relays.append(RelayRecord(source="@ask" if asked else "free", text=text, kind=kind, data=data))
    turn.say(turn.msg("relay.idle_forwarded", within=turn.working_days(turn.policy.question_days)))


def open_ask(turn: Turn, text: str) -> None:
    """``/ask`` with its question in the same message sends it; without, asks for it in a frame."""
    state = turn.state
    if text.strip():
        relay_free_text(turn, text, asked=True, attachment=turn.attachment)
        if state.frame is not None:
            resume(turn, full=False)
        return
    if state.frame is None or state.frame.module != ASK:
        state.frames.append(Frame(module=ASK, step="ask"))
    resume(turn)


def open_tech_help(turn: Turn, text: str) -> None:
    """``/techhelp``: what is not working, for staff to sort out (a task in the therapist's queue).
    With the words in the same message they are sent at once; without, they are asked for."""
    state = turn.state
    if text.strip() or turn.attachment:
        data = {"attachment": turn.attachment} if turn.attachment else {}
        turn.effects.relays.append(RelayRecord(source=f"{ASK}.{TECH_HELP}", text=text.strip(), kind="technical",
                                               data=data))  # fmt: skip
        turn.say(turn.msg("techhelp.sent"))
        if state.frame is not None:
            resume(turn, full=False)
        return
    if state.frame is None or state.frame.module != ASK:
        state.frames.append(Frame(module=ASK, step=TECH_HELP))
    else:
        state.frames[-1] = Frame(module=ASK, step=TECH_HELP)
    resume(turn)
