"""``/mydata``: the participant asks for a copy of everything stored about them.

The engine cannot read storage, so it says the file is on its way and emits ``TrialRequest("mydata")``;
after the event's commit ``bot/trial/mydata.py`` exports the participant's data (audited as an export
by the participant) and queues it as a document message. Works at every stage, also after /withdraw.
"""

from __future__ import annotations

from bot.engine.model import Inbound, TrialRequest
from bot.engine.turn import Turn


def request(turn: Turn, inbound: Inbound) -> None:
    turn.say(turn.msg("trial.mydata_coming"))
    turn.audit("mydata_requested")
    turn.effects.trial.append(TrialRequest("mydata"))
