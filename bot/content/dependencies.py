"""Checks on what content says depends on an answer: replies, show_if, reflect, checks and remind.

pydantic checks each of these on its own; what it cannot see is whether a reference makes sense in
its form: the field must exist (and for ``show_if`` come earlier), and its kind must fit the test.
A mistake here would otherwise surface as a question never asked or a reply never said, so every
problem is reported with the path of the offending key, like the other content errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.content.schema import (
    ChoiceStep,
    Condition,
    ExerciseStep,
    FieldSpec,
    FormStep,
    LocalText,
    NumberStep,
    Option,
    Reflect,
    Reply,
    ScaleStep,
    Step,
)

Problem = tuple[str, str]  # (path inside the step, what is wrong)
NUMERIC = ("number", "scale")
REFLECT_PLACEHOLDERS = frozenset({"before", "after"})
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def check_step(step: Step) -> Iterator[Problem]:
    """Every problem with the answer-dependent keys of one step."""
    if isinstance(step, ScaleStep | NumberStep):
        yield from _replies(step.replies, step.kind, (), "replies")
    elif isinstance(step, ChoiceStep):
        yield from _replies(step.replies, "choice", step.options, "replies")
    elif isinstance(step, FormStep):
        yield from _fields(step.fields, "fields")
        yield from _reflects(step.reflect, step.fields)
        yield from _checks(step)
        yield from _remind(step)
    elif isinstance(step, ExerciseStep):
        yield from _fields(step.log, "log")
        yield from _reflects(step.reflect, step.log)


def _fields(fields: tuple[FieldSpec, ...], key: str) -> Iterator[Problem]:
    for index, fld in enumerate(fields):
        where = f"{key}.{index}"
        yield from _replies(fld.replies, fld.kind, fld.options, f"{where}.replies")
        if fld.show_if is None:
            continue
        earlier = {f.id: f for f in fields[:index]}
        target = earlier.get(fld.show_if.field)
        if target is None:
            later = any(f.id == fld.show_if.field for f in fields[index:])
            why = "must be an earlier field of this form" if later else "no such field in this form"
            yield f"{where}.show_if.field", f"{fld.show_if.field!r}: {why}"
            continue
        yield from _fits(fld.show_if, target.kind, target.options, f"{where}.show_if")


def _replies(replies: tuple[Reply, ...], kind: str, options: tuple[Option, ...], where: str) -> Iterator[Problem]:
    if replies and kind not in (*NUMERIC, "choice"):
        yield where, f"replies need a number, scale or choice answer, not {kind}"
        return
    for index, reply in enumerate(replies):
        yield from _fits(reply.when, kind, options, f"{where}.{index}.when")


def _fits(cond: Condition, kind: str, options: tuple[Option, ...], where: str) -> Iterator[Problem]:
    """A numeric test needs a number or scale; ``is`` needs a choice and its option ids."""
    if cond.numeric and kind not in NUMERIC:
        key = "below" if cond.below is not None else "at_least"
        yield f"{where}.{key}", f"{key} needs a number or scale field, not {kind}"
    elif not cond.numeric:
        if kind != "choice":
            yield f"{where}.is", f"is needs a choice field, not {kind}"
            return
        ids = {o.id for o in options}
        for value in cond.is_ or ():
            if value not in ids:
                yield f"{where}.is", f"no option {value!r} (options: {', '.join(sorted(ids))})"


def _numeric_field(fields: dict[str, FieldSpec], name: str, where: str) -> Iterator[Problem]:
    fld = fields.get(name)
    if fld is None:
        yield where, f"no field {name!r} in this form"
    elif fld.kind not in NUMERIC:
        yield where, f"{name!r} is a {fld.kind} field; it must be a number or scale"


def _reflects(reflects: tuple[Reflect, ...], fields: tuple[FieldSpec, ...]) -> Iterator[Problem]:
    by_id = {f.id: f for f in fields}
    for index, reflect in enumerate(reflects):
        where = f"reflect.{index}"
        yield from _numeric_field(by_id, reflect.before, f"{where}.before")
        yield from _numeric_field(by_id, reflect.after, f"{where}.after")
        if reflect.before == reflect.after:
            yield f"{where}.after", "before and after must be two different fields"
        for key in ("lower", "same", "higher"):
            yield from _placeholders(getattr(reflect, key), f"{where}.{key}")


def _placeholders(text: LocalText, where: str) -> Iterator[Problem]:
    texts = text.values() if isinstance(text, dict) else (text,)
    unknown = sorted({n for t in texts for n in _PLACEHOLDER.findall(t)} - REFLECT_PLACEHOLDERS)
    if unknown:
        yield where, f"unknown placeholder {{{unknown[0]}}} (use {{before}} and {{after}})"


def _checks(step: FormStep) -> Iterator[Problem]:
    by_id = {f.id: f for f in step.fields}
    for index, check in enumerate(step.checks):
        where = f"checks.{index}"
        yield from _numeric_field(by_id, check.field, f"{where}.field")
        yield from _numeric_field(by_id, check.not_below, f"{where}.not_below")
        if check.field == check.not_below:
            yield f"{where}.not_below", "field and not_below must be two different fields"


def _remind(step: FormStep) -> Iterator[Problem]:
    if step.remind is None:
        return
    by_id = {f.id: f for f in step.fields}
    for key, kind in (("date", "date"), ("time", "time")):
        name = getattr(step.remind, key)
        if name is None:
            continue
        fld = by_id.get(name)
        if fld is None:
            yield f"remind.{key}", f"no field {name!r} in this form"
        elif fld.kind != kind:
            yield f"remind.{key}", f"{name!r} is a {fld.kind} field; it must be a {kind} field"
