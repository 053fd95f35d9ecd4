"""Load ``content/safety/<lang>.yaml`` (risk phrases, crisis texts) for every declared language.

Problems are reported like every other content file, ``file: path.to.field: what is wrong``, through
the loader's collector. Instrument items marked ``alert_at`` become item rules here, so questionnaire
alerts and phrase alerts are decided by the same ``bot.safety`` code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from bot.content.schema import Instrument
from bot.safety.rules import ItemRule, SafetyRules


class Collector(Protocol):
    def add(self, file: Path, path: str, message: str) -> None: ...

    def read_yaml(self, file: Path) -> Any: ...

    def validate(self, file: Path, model: type[BaseModel], data: Any) -> Any: ...


def load_safety(
    col: Collector, root: Path, langs: tuple[str, ...], instruments: dict[str, Instrument]
) -> dict[str, SafetyRules]:
    """The rules per language; a missing or broken file is a problem, never silently no screening."""
    found: dict[str, SafetyRules] = {}
    for lang in langs:
        file = root / "safety" / f"{lang}.yaml"
        if not file.exists():
            col.add(file, "", f"missing translation: no safety file for language {lang!r}")
            continue
        data = col.read_yaml(file)
        if data is None:
            continue
        rules = col.validate(file, SafetyRules, data)
        if rules is None:
            continue
        for index, rule in enumerate(rules.items):
            items = {i.id for i in instruments[rule.instrument].items} if rule.instrument in instruments else set()
            if rule.item not in items:
                col.add(file, f"items.{index}", f"no item {rule.instrument}.{rule.item} in instruments/")
        found[lang] = _with_alert_items(col, file, rules, instruments)
    return found


def _with_alert_items(
    col: Collector, file: Path, rules: SafetyRules, instruments: dict[str, Instrument]
) -> SafetyRules:
    alerts = [
        (i.id, item.id, item.alert_at) for i in instruments.values() for item in i.items if item.alert_at is not None
    ]
    if not alerts:
        return rules
    if rules.alert_at_category is None:
        col.add(file, "alert_at_category", "required: instruments have items with alert_at")
        return rules
    listed = {(r.instrument, r.item) for r in rules.items}
    extra = tuple(
        ItemRule(instrument=instrument, item=item, at_least=at, category=rules.alert_at_category)
        for instrument, item, at in alerts
        if (instrument, item) not in listed
    )
    return rules.model_copy(update={"items": rules.items + extra})
