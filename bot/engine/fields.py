"""Asking for and reading one value: a text, a number, a point on a scale or a choice.

Single-question steps, form fields, exercise logs and questionnaire items all go through here, so
every kind of answer is checked the same way and gets the same friendly re-prompt.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
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
from bot.engine.calendar import local_date
from bot.engine.model import Button, Frame, Outbound
from bot.engine.turn import Turn
from bot.errors import InputRejected

SKIP = "skip"
MAX_TEXT = 10_000  # more than one Telegram message holds: nothing typed is cut
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TIME_BUTTONS = ("08:00", "10:00", "12:00", "14:00", "16:00", "18:00", "20:00")
DATE_BUTTON_DAYS = 7  # today and the six days after it: a plan for the coming week
DATE_PAST_DAYS = 31  # a typed day/month further back than this means next year's date
DATE_AHEAD_DAYS = 400
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


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
    """An item's own answer labels win over the instrument's; without labels it is a number scale."""
    labels = item.response_labels or instrument.response_labels
    if labels and len(labels) == len(item.answers):
        options = tuple(
            Option.model_construct(id=str(answer), label=label, goto=None)
            for answer, label in zip(item.answers, labels, strict=True)
        )
        return FieldSpec(id=item.id, kind="choice", label=item.text, options=options)
    if item.options:  # a response format with gaps (no neutral 0): only its answers are buttons
        options = tuple(Option.model_construct(id=str(a), label=str(a), goto=None) for a in item.answers)
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
    elif fld.kind == "date":
        text += "\n" + turn.msg("content.date.hint")
        rows.extend(_date_rows(turn, frame))
    elif fld.kind == "time":
        text += "\n" + turn.msg("content.time.hint")
        values = [turn.button(frame, v, v) for v in TIME_BUTTONS]
        rows.extend(tuple(values[i : i + 4]) for i in range(0, len(values), 4))
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
    if fld.kind == "date":
        return _date(turn, raw).isoformat()
    if fld.kind == "time":
        return _clock(raw)
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


def _weekday_names(turn: Turn) -> list[str]:
    """The participant's language's weekday names, Monday first (from ``content.date.weekdays``)."""
    names = [n.strip() for n in turn.msg("content.date.weekdays").split(",")]
    return names if len(names) == 7 else [n.capitalize() for n in WEEKDAYS_EN]


def _date_rows(turn: Turn, frame: Frame) -> list[tuple[Button, ...]]:
    today = local_date(turn.now, turn.state.timezone)
    names = _weekday_names(turn)
    buttons = [
        turn.button(frame, turn.msg("content.date.today"), today.isoformat()),
        turn.button(frame, turn.msg("content.date.tomorrow"), (today + timedelta(days=1)).isoformat()),
    ]
    for offset in range(2, DATE_BUTTON_DAYS):
        day = today + timedelta(days=offset)
        buttons.append(turn.button(frame, f"{names[day.weekday()]} {day.day}/{day.month}", day.isoformat()))
    return [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]


def _date(turn: Turn, raw: str) -> date:
    """A day the participant means: a button, "today", "tomorrow", a weekday name, "14/3" or 2027-03-14.

    A weekday name means its next occurrence (today if it is that day); a day/month without a year
    means this year's, unless that lies more than a month back, then next year's.
    """
    today = local_date(turn.now, turn.state.timezone)
    folded = raw.casefold().strip(" .!")
    words = {turn.msg("content.date.today").casefold(): 0, "today": 0,
             turn.msg("content.date.tomorrow").casefold(): 1, "tomorrow": 1}  # fmt: skip
    if folded in words:
        return today + timedelta(days=words[folded])
    for names in (_weekday_names(turn), WEEKDAYS_EN):
        for index, name in enumerate(names):
            name = name.casefold()
            if folded and (folded == name or (len(folded) >= 3 and name.startswith(folded))):
                return today + timedelta(days=(index - today.weekday()) % 7)
    day = _calendar_date(folded, today)
    if day is None or not today - timedelta(days=DATE_PAST_DAYS) <= day <= today + timedelta(days=DATE_AHEAD_DAYS):
        raise InputRejected("content.reprompt.date")
    return day


def _calendar_date(folded: str, today: date) -> date | None:
    try:
        if match := _ISO_DATE.match(folded):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DAY_MONTH.match(folded):
            day, month = int(match[1]), int(match[2])
            if match[3]:
                year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
                return date(year, month, day)
            guess = date(today.year, month, day)
            return guess if guess >= today - timedelta(days=DATE_PAST_DAYS) else date(today.year + 1, month, day)
    except ValueError:  # 31/2 and the like
        return None
    return None


def _clock(raw: str) -> str:
    """A time of day as HH:MM, from "18:30", "18.30", "18", "6pm" or "6:30 pm"."""
    match = _CLOCK.match(raw.casefold().strip())
    if match is None:
        raise InputRejected("content.reprompt.time")
    hours, minutes, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hours <= 12:
            raise InputRejected("content.reprompt.time")
        hours = hours % 12 + (12 if half.startswith("p") else 0)
    if hours > 23 or minutes > 59:
        raise InputRejected("content.reprompt.time")
    return f"{hours:02d}:{minutes:02d}"


NUMBER_WITH_UNIT = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(?:%|[^\W\d_]{1,12}\.?)?\s*$")


MAX_NUMBER_CHARS = 40  # no answer the programme asks for is longer; Python's int() refuses 4,301+ digits


def whole_number(raw: str) -> int | None:
    """A typed whole number ("7", "-2"), or None: anything else, and anything absurdly long."""
    text = raw.strip()
    if len(text) > MAX_NUMBER_CHARS or not text.lstrip("-").isdigit() or not text.lstrip("-").isascii():
        return None
    return int(text)


def parse_number(raw: str) -> float | None:
    """A number as people type it: "7", "7,5", "10 min", "80%", "20 minutes"; None when it is not one
    or is longer than ``MAX_NUMBER_CHARS`` (the caller asks again, kindly)."""
    if len(raw.strip()) > MAX_NUMBER_CHARS:
        return None
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
    if fld.kind == "date" and isinstance(value, str) and _ISO_DATE.match(value):
        day = date.fromisoformat(value)
        return f"{_weekday_names(turn)[day.weekday()]} {day.day}/{day.month}"
    return str(value)
