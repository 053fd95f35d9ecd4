"""Asking for and reading one value: a text, a number, a point on a scale or a choice.

Single-question steps, form fields, exercise logs and questionnaire items all go through here, so
every kind of answer is checked the same way and gets the same friendly re-prompt.
"""

from __future__ import annotations

import re
from typing import Any

from bot.content.schema import (
    ChoiceStep,
    FieldSpec,
    Instrument,
    InstrumentItem,
    NumberStep,
    Option,
    ScaleStep,
    TextStep,
)
from bot.engine.model import Button, Frame, Outbound
from bot.engine.turn import Turn
from bot.errors import InputRejected

SKIP = "skip"
MAX_TEXT = 10_000  # more than one Telegram message holds: nothing typed is cut


def step_field(step: TextStep | ScaleStep | NumberStep | ChoiceStep) -> FieldSpec:
    """View a one-question step as a field, so it is asked and checked like any form field."""
    if isinstance(step, TextStep):
        return FieldSpec(id="value", kind="text", label=step.text, optional=step.optional)
    if isinstance(step, ScaleStep):
        return FieldSpec(id="value", kind="scale", label=step.text, min=step.min, max=step.max,
                         min_label=step.min_label, max_label=step.max_label)  # fmt: skip
    if isinstance(step, NumberStep):
        return FieldSpec(id="value", kind="number", label=step.text, min=step.min, max=step.max,
                         decimals=step.decimals, unit=step.unit)  # fmt: skip
    return FieldSpec(id="value", kind="choice", label=step.text, options=step.options)


def item_field(instrument: Instrument, item: InstrumentItem) -> FieldSpec:
    labels = instrument.response_labels
    if labels and len(labels) == item.max - item.min + 1:
        options = tuple(
            Option.model_construct(id=str(item.min + i), label=label, goto=None) for i, label in enumerate(labels)
        )
        return FieldSpec(id=item.id, kind="choice", label=item.text, options=options)
    return FieldSpec(id=item.id, kind="scale", label=item.text, min=item.min, max=item.max)


def field_prompt(turn: Turn, frame: Frame, fld: FieldSpec, prefix: str = "") -> Outbound:
    text = turn.t(fld.label)
    rows: list[tuple[Button, ...]] = []
    if fld.kind == "scale":
        lo, hi = int(fld.min or 0), int(fld.max or 10)
        if fld.min_label or fld.max_label:
            text += "\n" + turn.msg("scale.labels", min=lo, max=hi, min_label=turn.t(fld.min_label),
                                    max_label=turn.t(fld.max_label))  # fmt: skip
        if hi - lo <= 10:
            values = [turn.button(frame, str(v), str(v)) for v in range(lo, hi + 1)]
            rows.extend(tuple(values[i : i + 6]) for i in range(0, len(values), 6))
    elif fld.kind == "number" and fld.unit:
        text += "\n" + turn.msg("number.unit", unit=turn.t(fld.unit), min=_fmt(fld.min), max=_fmt(fld.max))
    elif fld.kind == "choice":
        rows.extend((turn.button(frame, turn.t(o.label), o.id),) for o in fld.options)
    if fld.optional:
        text += "\n" + turn.msg("field.optional_hint")
        rows.append((turn.button(frame, turn.msg("buttons.skip"), SKIP),))
    return Outbound(text=f"{prefix}{text}".strip(), buttons=tuple(rows))


def parse_field(turn: Turn, fld: FieldSpec, value: str, via_button: bool) -> Any:
    """Return the value to store, ``None`` for a skipped optional field, or raise ``InputRejected``."""
    raw = value.strip()
    if raw.lower() in (SKIP, "/skip") and (via_button or raw.startswith("/")):
        if fld.optional:
            return None
        raise InputRejected("reprompt.not_optional")
    if fld.kind == "text":
        if via_button or not raw:
            raise InputRejected("reprompt.text_empty")
        return raw[:MAX_TEXT]
    if fld.kind == "choice":
        return _choose(turn, fld.options, raw, via_button)
    number = parse_number(raw)
    lo, hi = fld.min if fld.min is not None else 0, fld.max if fld.max is not None else 0
    if fld.kind == "scale":
        if number is None or number != int(number) or not lo <= number <= hi:
            raise InputRejected("reprompt.scale", min=int(lo), max=int(hi))
        return int(number)
    if number is None or not lo <= number <= hi:
        raise InputRejected("reprompt.number", min=_fmt(lo), max=_fmt(hi))
    if fld.decimals == 0:
        if number != int(number):
            raise InputRejected("reprompt.number", min=_fmt(lo), max=_fmt(hi))
        return int(number)
    return round(number, fld.decimals)


def _choose(turn: Turn, options: tuple[Option, ...], raw: str, via_button: bool) -> str:
    for option in options:
        if raw == option.id and via_button:
            return option.id
    folded = raw.casefold().strip(" .!")
    for option in options:
        if folded and folded in (
            turn.t(option.label).casefold().strip(" .!"),
            option.id.casefold(),
        ):
            return option.id
    labels = ", ".join(f"“{turn.t(o.label)}”" for o in options)
    raise InputRejected("reprompt.choose_button", options=labels)


NUMBER_WITH_UNIT = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(?:%|[^\W\d_]{1,12}\.?)?\s*$")


def parse_number(raw: str) -> float | None:
    """A number as people type it: "7", "7,5", "10 min", "80%", "20 minutes"."""
    match = NUMBER_WITH_UNIT.match(raw)
    cleaned = match.group(1).replace(",", ".") if match else raw.replace(",", ".").strip()
    try:
        number = float(cleaned)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if value == int(value) else f"{value:g}"


def show_value(turn: Turn, fld: FieldSpec, value: Any) -> str:
    """How a stored value reads back in a summary."""
    if value is None:
        return "—"
    if fld.kind == "choice":
        for option in fld.options:
            if option.id == value:
                return turn.t(option.label)
    return str(value)
