"""Load ``content/safety/<lang>.yaml`` (risk phrases, crisis texts) for every declared language.

Problems are reported like every other content file, ``file: path.to.field: what is wrong``, through
the loader's collector. Instrument items marked ``alert_at`` (and ``urgent_at``) become item rules here, so questionnaire
alerts and phrase alerts are decided by the same ``bot.safety`` code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.content.schema import Instrument
from bot.safety.crisis import CrisisResources
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
        (i.id, item.id, item.alert_at, item.urgent_at)
        for i in instruments.values()
        for item in i.items
        if item.alert_at is not None
    ]
    if not alerts:
        return rules
    if rules.alert_at_category is None:
        col.add(file, "alert_at_category", "required: instruments have items with alert_at")
        return rules
    listed = {(r.instrument, r.item) for r in rules.items}
    extra = tuple(
        ItemRule(instrument=instrument, item=item, at_least=at, category=rules.alert_at_category, urgent_at=urgent)
        for instrument, item, at, urgent in alerts
        if (instrument, item) not in listed
    )
    return rules.model_copy(update={"items": rules.items + extra})


_PHONE = "0123456789 +-"


class CountryLines(BaseModel):
    """One country's emergency number and crisis line (``content/safety/resources.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    emergency_number: str = Field(min_length=2)
    line_name: str = Field(min_length=1)
    line_number: str = Field(min_length=2)
    line_hours: str = ""
    line_url: str = ""

    @field_validator("emergency_number", "line_number")
    @classmethod
    def _phone(cls, value: str) -> str:
        if (not value[0].isdigit() and value[0] != "+") or any(ch not in _PHONE for ch in value):
            raise ValueError(f"{value!r} is not a phone number")
        return value


class ResourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    countries: dict[str, CountryLines] = Field(min_length=1)

    @field_validator("countries")
    @classmethod
    def _codes(cls, value: dict[str, CountryLines]) -> dict[str, CountryLines]:
        bad = [code for code in value if len(code) != 2 or not code.isalpha() or not code.isupper()]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a two-letter country code in capitals (SE, GB …)")
        return value


def load_crisis_lines(col: Collector, root: Path) -> dict[str, CrisisResources]:
    """Crisis resources per country; no file means every participant gets the site's own (settings)."""
    file = root / "safety" / "resources.yaml"
    if not file.exists():
        return {}
    data = col.read_yaml(file)
    found = col.validate(file, ResourcesFile, data) if data is not None else None
    if found is None:
        return {}
    return {
        code: CrisisResources(code, c.emergency_number, c.line_name, c.line_number, c.line_hours, c.line_url)
        for code, c in found.countries.items()
    }
