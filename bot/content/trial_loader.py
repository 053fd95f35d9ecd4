"""Load ``content/trial/trial.yaml`` (optional: a programme without it runs no trial machinery).

Problems are reported like every other content problem, as ``file: path.to.field: what is wrong``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.content.schema import Instrument
from bot.content.trial_schema import TrialSpec

TRIAL_FILE = Path("trial") / "trial.yaml"


class Collector(Protocol):
    def add(self, file: Path, path: str, message: str) -> None: ...
    def read_yaml(self, file: Path) -> object: ...
    def validate(self, file: Path, model: type[TrialSpec], data: object) -> TrialSpec | None: ...


def load_trial(col: Collector, root: Path, instruments: dict[str, Instrument]) -> TrialSpec | None:
    """The trial spec, or None when the file is absent; checks screens against the instruments."""
    file = root / TRIAL_FILE
    if not file.exists():
        return None
    data = col.read_yaml(file)
    if data is None:
        return None
    spec = col.validate(file, TrialSpec, data)
    if spec is None:
        return None
    for index, screen in enumerate(spec.screens):
        instrument = instruments.get(screen.instrument)
        if instrument is None:
            if not screen.when_supplied:
                col.add(file, f"screens.{index}.instrument", f"no instrument {screen.instrument!r} in instruments/")
            continue
        item_ids = {item.id for item in instrument.items}
        for item in (*screen.exclude_items_above, *screen.risk_items_above):
            if item not in item_ids:
                col.add(file, f"screens.{index}", f"instrument {screen.instrument!r} has no item {item!r}")
    return spec
