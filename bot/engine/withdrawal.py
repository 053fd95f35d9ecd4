"""``/withdraw`` in a trial: ask whether the data already given may still be used, then stop everything.

The question has three buttons (use my data / do not use it / I want to stay). A choice to leave sets
the state to ``withdrawn`` at once (no tick acts on it any more) and emits ``TrialRequest("withdraw")``;
the trial service then records it, cancels every pending message, tells the participant in the
content's words and tells staff (``TrialService.withdraw``). The engine itself says nothing more, so
nothing of this event is left to cancel.
"""

from __future__ import annotations

from bot.engine.model import Button, Inbound, TrialRequest
from bot.engine.turn import Turn

WITHDRAW_TOKEN = "WD"  # button data: "WD|use" / "WD|no_use" / "WD|stay"


def available(turn: Turn) -> bool:
    return turn.policy.trial and turn.programme.trial is not None


def help_text(turn: Turn) -> str:
    """The /help text: /withdraw is listed only where it exists (the chat runs a trial)."""
    return turn.msg("help", withdraw=turn.msg("help_withdraw") if available(turn) else "")


def ask(turn: Turn, inbound: Inbound) -> None:
    if turn.state.status == "withdrawn":
        turn.say(turn.msg("trial.withdrawn_here"))
        return
    buttons = tuple(
        (Button(turn.msg(f"trial.withdraw_{choice}"), f"{WITHDRAW_TOKEN}|{choice}"),)
        for choice in ("use", "no_use", "stay")
    )
    turn.say(turn.msg("trial.withdraw_ask"), buttons)


def on_button(turn: Turn, value: str) -> None:
    state = turn.state
    if state.status == "withdrawn":
        return
    if value not in ("use", "no_use"):
        turn.say(turn.msg("trial.withdraw_stay"))
        return
    state.status, state.frames, state.applying = "withdrawn", [], None
    turn.audit("withdraw_requested", may_use_data=value == "use")
    turn.effects.trial.append(TrialRequest("withdraw", {"may_use_data": value == "use"}))
