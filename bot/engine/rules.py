"""What the engine asks of the measures and trial features: a small interface, filled in at the
composition root (``bot/features.py``).

The engine imports no feature package. The features build on the engine (their services run its
decisions and read its records), so an import the other way would tie every package into one knot;
instead the engine names the few rules it needs here and is handed them when it is built.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from bot.content.programme import Programme
from bot.content.schema import Instrument
from bot.content.trial_schema import AnswerValue, ApplicationQuestion

Verdict = Literal["ok", "not_a_diary_day", "not_yet", "too_late", "already_done"]


class MeasureRules(Protocol):
    """Scoring a finished questionnaire and the diary's time rules (``bot/measures``)."""

    def score(self, instrument: Instrument, answers: Mapping[str, int]) -> Any:
        """The administration's score (``bot.measures.scoring.Score``); the engine only carries it."""
        ...

    def check_entry(
        self, day: date, first_day: date, days: int, now: datetime, timezone: str, late_days: int,
        done: Collection[date],
    ) -> Verdict: ...  # fmt: skip

    def expired(self, day: date, now: datetime, timezone: str, late_days: int) -> bool: ...


class TrialRules(Protocol):
    """The application's questions and how a typed answer reads (``bot/trial``)."""

    def screens(self, programme: Programme) -> tuple[Instrument, ...]: ...

    def questions_to_ask(
        self, programme: Programme, given: dict[str, AnswerValue]
    ) -> tuple[ApplicationQuestion, ...]: ...

    def read_answer(self, question: ApplicationQuestion, raw: str, today: date) -> AnswerValue: ...


@dataclass(frozen=True)
class FeatureRules:
    measures: MeasureRules
    trial: TrialRules
