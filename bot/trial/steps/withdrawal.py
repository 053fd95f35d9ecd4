"""``/withdraw`` in a trial: ask whether the data already given may still be used, then stop everything.

The question has three buttons (use my data / do not use it / I want to stay). A choice to leave sets
the state to ``withdrawn`` at once (no tick acts on it any more) and emits ``TrialRequest("withdraw")``;
the trial service then records it, cancels every pending message, tells the participant in the
content's words and tells staff (``TrialService.withdraw``). The engine itself says nothing more, so
nothing of this event is left to cancel.
"""

from __future__ import annotations

import hashlib

from bot.engine.model import Button, Inbound, TrialRequest
from bot.engine.turn import Turn

WITHDRAW_TOKEN = "WD"  # button data: "WD|use|<question>" / "WD|no_use|<question>" / "WD|stay|<question>"


def question_token(turn: Turn) -> str:
    """A fresh token for each time the question is asked: only that question's buttons can act."""
    seed = f"{turn.state.code}|{turn.now.isoformat()}|{turn.state.confirming}"  # never the last one again
    return hashlib.sha256(seed.encode()).hexdigest()[:10]


def ask(turn: Turn, inbound: Inbound) -> None:
    if turn.state.status == "withdrawn":
        turn.say(turn.msg("trial.withdrawn_here"))
        return
    token = turn.state.confirming = question_token(turn)
    buttons = tuple(
        (Button(turn.msg(f"trial.withdraw_{choice}"), f"{WITHDRAW_TOKEN}|{choice}|{token}"),)
        for choice in ("use", "no_use", "stay")
    )
    turn.say(turn.msg("trial.withdraw_ask"), buttons)


def on_button(turn: Turn, value: str) -> None:
    """``value`` is "<choice>|<token>"; a choice without the open question's token (forged, or the
    buttons of an earlier question) changes nothing and says how to ask again."""
    state = turn.state
    if state.status == "withdrawn":
        return
    choice, _, token = value.partition("|")
    if not token or token != state.confirming:
        turn.say(turn.msg("trial.withdraw_stale"))
        return
    state.confirming = None
    value = choice
    if value not in ("use", "no_use"):
        turn.say(turn.msg("trial.withdraw_stay"))
        return
    state.status, state.frames, state.applying = "withdrawn", [], None
    turn.audit("withdraw_requested", may_use_data=value == "use")
    turn.effects.trial.append(TrialRequest("withdraw", {"may_use_data": value == "use"}))
