"""Each chart an event asked for, drawn and written to the charts folder as the message is queued.

The outbox holds JSON, so a picture travels as a file path (``Outbound.image``); a file left by a
transaction that then rolled back is harmless and is simply never sent. The file names
(``<code>-<n>.png``) let the erasure of a participant's data find their pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bot.engine.model import Effects

# What turns each chart an event asked for into a message the outbox can hold (``PictureWriter``).
Pictures = Callable[[Effects, str], None]


def write_pictures(effects: Effects, charts_dir: Path, code: str) -> None:
    """Draw each ``Outbound.chart`` to ``<charts_dir>/<code>-<n>.png`` and let the message name it."""
    for index, out in enumerate(effects.outbound):
        if out.chart is None:
            continue
        from bot.charts.pictures import draw  # matplotlib: loaded when the first chart is drawn

        charts_dir.mkdir(parents=True, exist_ok=True)
        n = len(list(charts_dir.glob(f"{code}-*.png"))) + 1
        path = charts_dir / f"{code}-{n}.png"
        path.write_bytes(draw(out.chart))
        effects.outbound[index] = replace(out, image=str(path), chart=None)


@dataclass(frozen=True)
class PictureWriter:
    """``write_pictures`` into one folder, as a value a sweep's worker processes can be handed."""

    charts_dir: Path

    def __call__(self, effects: Effects, code: str) -> None:
        write_pictures(effects, self.charts_dir, code)
