"""The small picture that comes with each module unlock: where this module sits in its phase.

Asked for as values (``UnlockChart``); the edge draws it when the message is written for sending.
"""

from __future__ import annotations

from bot.content.schema import Module
from bot.engine.charts import ChartWords, UnlockChart
from bot.engine.turn import Turn


def unlock_picture(turn: Turn, module: Module) -> UnlockChart | None:
    """Module n of the phase's total (the eight treatment modules); None for a phase of one module."""
    phase_id = turn.programme.phase_of(module.id)
    phase = next((p for p in turn.programme.spec.phases if p.id == phase_id), None)
    if phase is None or len(phase.modules) < 2:
        return None
    number = phase.modules.index(module.id) + 1
    return UnlockChart(number, len(phase.modules), ChartWords.from_messages(turn.msg))
