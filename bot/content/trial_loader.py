"""Load ``content/trial/trial.yaml`` (optional: a programme without it runs no trial machinery).

Problems are reported like every other content problem, as ``file: path.to.field: what is wrong``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.content.schema import Instrument
from bot.content.trial_schema import TrialSpec

TRIAL_FILE = Path("trial") / "trial.yaml"
# Keys whose values a participant reads: each must exist in every language the programme declares.
TEXT_KEYS = frozenset(
    {"text", "label", "title", "not_eligible", "told", "crossover_offer", "not_eligible_intro", "seek_help",
     "to_interview", "included", "excluded"}
)  # fmt: skip


class Collector(Protocol):
    def add(self, file: Path, path: str, message: str) -> None: ...
    def read_yaml(self, file: Path) -> object: ...
    def validate(self, file: Path, model: type[TrialSpec], data: object) -> TrialSpec | None: ...


def load_trial(
    col: Collector,
    root: Path,
    instruments: dict[str, Instrument],
    langs: tuple[str, ...] = ("en",),
    default: str = "en",
) -> TrialSpec | None:
    """The trial spec, or None when the file is absent; checks screens against the instruments and
    every participant-facing text against the declared languages."""
    file = root / TRIAL_FILE
    if not file.exists():
        return None
    data = col.read_yaml(file)
    if data is None:
        return None
    _check_texts(col, file, data, langs, default, "")
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
    primary = spec.primary_outcome
    if primary is not None:
        instrument = instruments.get(primary.instrument)
        if instrument is None:
            col.add(file, "primary_outcome.instrument", f"no instrument {primary.instrument!r} in instruments/")
        elif primary.scale not in {scale.id for scale in instrument.scales}:
            col.add(file, "primary_outcome.scale", f"instrument {primary.instrument!r} has no scale {primary.scale!r}")
    return spec


def _check_texts(col: Collector, file: Path, data: object, langs: tuple[str, ...], default: str, path: str) -> None:
    if isinstance(data, list):
        for index, item in enumerate(data):
            _check_texts(col, file, item, langs, default, f"{path}.{index}" if path else str(index))
        return
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        sub = f"{path}.{key}" if path else str(key)
        if key not in TEXT_KEYS:
            _check_texts(col, file, value, langs, default, sub)
        elif isinstance(value, dict):
            for lang in langs:
                if not value.get(lang):
                    col.add(file, sub, f"missing translation for {lang!r}")
        elif isinstance(value, str) and value and len(langs) > 1:
            missing = [lang for lang in langs if lang != default]
            col.add(file, sub, f"missing translation for {missing[0]!r} (write the text as a mapping per language)")
