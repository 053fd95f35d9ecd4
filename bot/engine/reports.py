"""The weekly report as the participant meets it: offered by the sweep, opened or put off by a button.

The timing rules and the summary for the therapist live in ``weekly``; this module only acts on time
passing and on the offer's two buttons.
"""

from __future__ import annotations

from bot.engine import weekly
from bot.engine.model import Frame
from bot.engine.progress import enter, resume
from bot.engine.turn import Turn


def offer_due(turn: Turn) -> None:
    """Offer, re-ask or alert for every finished module whose report's next moment has come."""
    if any(f.detour == "report" for f in turn.state.frames):
        return  # one thing at a time: the report being filled in is not offered again
    for module in weekly.pending(turn):
        if weekly.next_action_at(turn, module) <= turn.now:
            weekly.due(turn, module)


def on_button(turn: Turn, value: str) -> None:
    """``value`` is ``<module id>|now`` or ``<module id>|later``."""
    state = turn.state
    module_id, _, action = value.partition("|")
    module = turn.programme.modules.get(module_id)
    if module is None or module.report is None or module_id not in state.finished:
        turn.say(turn.msg("reprompt.stale_button"))
        resume(turn, full=False)
        return
    if state.reports.get(module_id, {}).get("done"):
        turn.say(turn.msg("report.already_done"))
        resume(turn, full=False)
        return
    if action == weekly.LATER:
        weekly.put_off(turn, module)
        return
    top = state.frame
    if top is not None and top.detour == "report" and top.module == module_id:
        resume(turn)
        return
    frame = Frame(module=module_id, step=module.report.step, detour="report")
    state.frames.append(frame)
    enter(turn, frame)
