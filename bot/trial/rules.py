"""The trial's rules as the engine asks for them (``bot/engine/rules.py``): the application in chat."""

from __future__ import annotations

from datetime import date

from bot.content.programme import Programme
from bot.content.schema import Instrument
from bot.content.trial_schema import AnswerValue, ApplicationQuestion
from bot.trial import application


class Trial:
    def screens(self, programme: Programme) -> tuple[Instrument, ...]:
        return application.application_plan(programme).screens

    def questions_to_ask(self, programme: Programme, given: dict[str, AnswerValue]) -> tuple[ApplicationQuestion, ...]:
        return application.questions_to_ask(programme, given)

    def read_answer(self, question: ApplicationQuestion, raw: str, today: date) -> AnswerValue:
        return application.read_answer(question, raw, today)
