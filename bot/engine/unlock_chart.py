"""The small picture that comes with each module unlock: where this module sits in its phase.

Drawn by ``bot.measures.charts.unlock_chart`` (values in, PNG bytes out); the bytes ride on the
``Outbound`` and the service edge writes them to a file before the message is queued.
"""

from __future__ import annotations

from bot.content.schema import Module
from bot.engine.turn import Turn
from bot.measures.charts import ChartWords, unlock_chart


def unlock_picture(turn: Turn, module: Module) -> bytes | None:
    """Module n of the phase's total (the eight treatment modules); None for a phase of one module."""
    phase_id = turn.programme.phase_of(module.id)
    phase = next((p for p in turn.programme.spec.phases if p.id == phase_id), None)
    if phase is None or len(phase.modules) < 2:
        return None
    number = phase.modules.index(module.id) + 1
    return unlock_chart(number, len(phase.modules), ChartWords.from_messages(turn.msg))
