"""What content says depends on an answer: replies, show_if, reflect, checks and remind.

The decisions are here, values in and values out (``Condition.holds``, ``first_reply``,
``ShowIf.asks``, ``Reflect.pick``, ``Check.violated``), so the engine only applies them;
``bot/content/dependencies.py`` checks their references when the content is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, field_validator, model_validator

from bot.content.base import Ident, LocalText, Strict, check_hhmm


class Condition(Strict):
    """A test on one answer: ``{below: N}``, ``{at_least: N}`` or ``{is: [option ids]}`` (exactly one).

    Content says with it what depends on an answer; ``holds`` is the one place that decides it.
    """

    below: float | None = None
    at_least: float | None = None
    is_: tuple[str, ...] | None = Field(default=None, alias="is", min_length=1)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        given = [k for k, v in (("below", self.below), ("at_least", self.at_least), ("is", self.is_)) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of below, at_least or is")
        return self

    @property
    def numeric(self) -> bool:
        return self.is_ is None

    def holds(self, value: object) -> bool:
        """True when ``value`` (a stored answer; ``None`` when skipped) passes the test."""
        if value is None or isinstance(value, bool):
            return False
        if self.is_ is not None:
            return str(value) in self.is_
        if not isinstance(value, int | float):
            return False
        if self.below is not None:
            return value < self.below
        return self.at_least is not None and value >= self.at_least


class Reply(Strict):
    """Said right after an answer when ``when`` holds; the first matching reply of a list wins."""

    when: Condition
    text: LocalText


class ShowIf(Condition):
    """Ask a field only when an earlier field of the same form passed the test."""

    field: Ident

    def asks(self, answers: Mapping[str, object]) -> bool:
        """True when the field is to be asked, given the entry's answers so far (field id -> value)."""
        return self.holds(answers.get(self.field))


def first_reply(replies: tuple[Reply, ...], value: object) -> Reply | None:
    """The reply to say after ``value``, if any (first match in content order)."""
    return next((r for r in replies if r.when.holds(value)), None)


class Reflect(Strict):
    """Said when an entry is complete: how ``after`` compares with ``before`` (tension 7 → 4).

    The texts may use ``{before}`` and ``{after}``, the two answers.
    """

    before: Ident
    after: Ident
    lower: LocalText
    same: LocalText
    higher: LocalText

    def pick(self, before: float, after: float) -> LocalText:
        if after < before:
            return self.lower
        return self.same if after == before else self.higher


class Check(Strict):
    """``field`` should not be below ``not_below`` (worst pain ≥ average pain); else ``text`` asks."""

    field: Ident
    not_below: Ident
    text: LocalText

    def violated(self, answers: Mapping[str, object]) -> bool:
        """True when both answers are numbers and ``field`` is below ``not_below`` (ask to confirm)."""
        low, high = answers.get(self.field), answers.get(self.not_below)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
        return numbers and low < high  # type: ignore[operator]


class Remind(Strict):
    """A one-off reminder at the local date (and time, else ``at``) the participant gave in the form."""

    date: Ident
    time: Ident | None = None
    at: str = "09:00"
    text: LocalText

    @field_validator("at")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_hhmm(value)
