"""The application form as data the engine can walk, and how a typed answer becomes a value (pure).

Order: the content's questions as listed, then each active screening questionnaire (its instrument's
items). ``read_answer`` turns a participant's text or button choice into the stored value, or raises
``InputRejected`` with a message key and its parameters for a friendly re-prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.content.programme import Programme
from bot.content.schema import Instrument
from bot.content.trial_schema import AnswerValue, ApplicationQuestion
from bot.errors import InputRejected
from bot.trial.eligibility import active_screens

YES = frozenset({"yes", "y", "ja", "true"})
NO = frozenset({"no", "n", "nej", "false"})
NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


@dataclass(frozen=True)
class ApplicationPlan:
    questions: tuple[ApplicationQuestion, ...]
    screens: tuple[Instrument, ...]  # asked after the questions, item by item


def application_plan(programme: Programme) -> ApplicationPlan:
    """What to ask, in order; empty when the programme has no trial file."""
    if programme.trial is None:
        return ApplicationPlan((), ())
    screens = active_screens(programme.trial, programme.instruments)
    return ApplicationPlan(programme.trial.questions, tuple(programme.instruments[s.instrument] for s in screens))


def questions_to_ask(programme: Programme, given: dict[str, AnswerValue]) -> tuple[ApplicationQuestion, ...]:
    """The questions still to ask, skipping those whose criterion does not apply (e.g. sick-leave months
    of someone who works)."""
    if programme.trial is None:
        return ()
    conditional = {c.question: c.when for c in programme.trial.criteria if c.when}
    out: list[ApplicationQuestion] = []
    for question in programme.trial.questions:
        if question.id in given:
            continue
        when = conditional.get(question.id)
        if when and any(q in given and given[q] != v for q, v in when.items()):
            continue
        out.append(question)
    return tuple(out)


def read_answer(question: ApplicationQuestion, raw: str, today: date) -> AnswerValue:
    text = raw.strip()
    if question.kind == "yes_no":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise InputRejected("trial.reprompt.yes_no")
    if question.kind == "choice":
        ids = [o.id for o in question.options]
        if text in ids:
            return text
        raise InputRejected("reprompt.choose_button", options=", ".join(ids))
    if question.kind == "number":
        assert question.min is not None and question.max is not None
        if not NUMBER.match(text):
            raise InputRejected("reprompt.number", min=f"{question.min:g}", max=f"{question.max:g}")
        value = float(text.replace(",", "."))
        if not question.min <= value <= question.max:
            raise InputRejected("reprompt.number", min=f"{question.min:g}", max=f"{question.max:g}")
        return int(value) if value.is_integer() else value
    if question.kind == "date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InputRejected("trial.reprompt.date") from None
        if day > today:
            raise InputRejected("trial.reprompt.date")
        return day.isoformat()
    if not text:
        raise InputRejected("reprompt.text_empty")
    return text
