"""Which answers are a person's own words, so the research export can leave them out.

Diary notes, homework fields, questions for the therapist and open answers can name people, places
and illnesses; a statistician needs none of them. An answer is *closed* when the content fixes what
it can be: a choice, a number, a scale, a date or a time, a consent, a questionnaire item, "I did it".
Everything else that holds text is free text, including text at a place the content does not know
(an ``/ask`` question, a module of an older content version): when in doubt, leave it out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from bot.content.programme import Programme
from bot.content.schema import FieldSpec, Step
from bot.measures.dataset import AnswerRecord

Place = tuple[str, str, str | None]  # (module id, step or daily prompt id, field or item id)
CLOSED_FIELDS = frozenset({"number", "scale", "choice", "date", "time"})
CLOSED_STEPS = frozenset({"choice", "scale", "number", "consent"})
DONE = "done"  # an exercise's "I did it" / "Not now" (steps.py)


def closed_places(programme: Programme) -> frozenset[Place]:
    """Every answer place of the programme whose value the content fixes."""
    places: set[Place] = set()
    for module in programme.modules.values():
        for step in module.steps:
            places |= _places(programme, module.id, step.id, step)
        for daily in module.daily:
            places |= _places(programme, module.id, daily.id, daily.step)
    return frozenset(places)


def _places(programme: Programme, module_id: str, step_id: str, step: Step) -> set[Place]:
    def fields(specs: Iterable[FieldSpec]) -> set[Place]:
        return {(module_id, step_id, f.id) for f in specs if f.kind in CLOSED_FIELDS}

    if step.kind in CLOSED_STEPS:
        return {(module_id, step_id, None)}
    if step.kind == "form":
        return fields(step.fields)
    if step.kind == "exercise":
        return fields(step.log) | {(module_id, step_id, DONE)}
    if step.kind == "questionnaire" and step.instrument in programme.instruments:
        return {(module_id, step_id, item.id) for item in programme.instruments[step.instrument].items}
    return set()


def holds_text(value: Any) -> bool:
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list | tuple):
        return any(holds_text(v) for v in value)
    if isinstance(value, dict):
        return any(holds_text(v) for v in value.values())
    return False


def is_free_text(answer: AnswerRecord, closed: Collection[Place]) -> bool:
    """True for a person's own words: text at a place the content does not close."""
    return (answer.module_id, answer.step_id, answer.field_id) not in closed and holds_text(answer.value)
