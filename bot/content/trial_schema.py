"""The shape of ``content/trial/trial.yaml``: who may take part, the draw, and each arm's calendar.

A site configures its trial here, not in code: the application questions (own wording), the inclusion
criteria and screening cut-offs, the arms and their ratio, the strata, the block sizes of the concealed
allocation, and the words that tell a participant the result. Validation names the offending field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.content.schema import Ident, LocalText, Option, Strict, check_id

AnswerValue = bool | int | float | str


class ApplicationQuestion(Strict):
    """One question of the application form, asked in order."""

    id: Ident
    kind: Literal["yes_no", "number", "date", "choice", "text"]
    text: LocalText
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    optional: bool = False
    # for the safety net (bot/engine/safety_intake.py): the answer kept in the participant's state, or a
    # yes_no warning sign of serious illness and how soon it needs a doctor
    keeps: Literal["country", "safety_phone", "doctor"] | None = None
    warning: Literal["emergency", "same_day", "soon"] | None = None

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _shape(self) -> ApplicationQuestion:
        if self.kind == "choice" and len(self.options) < 2:
            raise ValueError("a choice needs at least two options")
        if self.warning is not None and self.kind != "yes_no":
            raise ValueError("a warning sign is a yes_no question")
        if self.kind == "number" and (self.min is None or self.max is None or self.min >= self.max):
            raise ValueError("a number needs min below max")
        return self


class Criterion(Strict):
    """One inclusion rule over one answer; ``when`` limits it to applicants with another answer.

    rule ``between``: min <= answer <= max (inclusive); ``is``: answer == value; ``one_of``: answer in
    values; ``longer_than_months``: the date answered lies MORE than ``months`` calendar months before
    the application date (exactly ``months`` excludes).
    """

    id: Ident
    question: Ident
    rule: Literal["between", "is", "one_of", "longer_than_months"]
    min: float | None = None
    max: float | None = None
    value: AnswerValue | None = None
    values: tuple[AnswerValue, ...] = ()
    months: int | None = Field(default=None, ge=1, le=600)
    when: dict[str, AnswerValue] = Field(default_factory=dict)
    not_eligible: LocalText

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _needs(self) -> Criterion:
        needed = {"between": self.min is not None and self.max is not None, "is": self.value is not None,
                  "one_of": bool(self.values), "longer_than_months": self.months is not None}  # fmt: skip
        if not needed[self.rule]:
            fields = {"between": "min and max", "is": "value", "one_of": "values", "longer_than_months": "months"}
            raise ValueError(f"rule {self.rule!r} needs {fields[self.rule]}")
        return self


class Screen(Strict):
    """A screening questionnaire: excludes at a total cut-off or an item above a value, or only records."""

    id: Ident
    instrument: Ident
    exclude_total_at_least: int | None = None
    exclude_items_above: dict[str, int] = Field(default_factory=dict)
    risk_items_above: dict[str, int] = Field(default_factory=dict)
    record_only: bool = False
    when_supplied: bool = False  # a licensed instrument used only when the site supplies its wording
    not_eligible: LocalText = ""

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _consistent(self) -> Screen:
        excludes = self.exclude_total_at_least is not None or bool(self.exclude_items_above)
        if self.record_only and excludes:
            raise ValueError("a record_only screen cannot have exclusion cut-offs")
        if excludes and not self.not_eligible:
            raise ValueError("an excluding screen needs a not_eligible text")
        return self


WAITING = "waiting"  # the arm phase that opens no module (the waiting list waits)


class ArmPhase(Strict):
    """A span of weeks counted from the day of allocation (week 0)."""

    phase: Ident  # a programme phase id (baseline, treatment, post) or ``waiting``
    weeks: tuple[int, int]
    check_in_every_weeks: int | None = Field(default=None, ge=1, le=12)

    @field_validator("weeks")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] < 0 or value[0] > value[1]:
            raise ValueError("weeks must be [first, last] with 0 <= first <= last")
        return value


class Arm(Strict):
    id: Ident
    title: LocalText
    weight: int = Field(ge=1, le=10)
    told: LocalText  # the words that tell a participant this allocation
    calendar: tuple[ArmPhase, ...] = Field(min_length=1)
    crossover: bool = False  # after the last week the programme is offered
    crossover_offer: LocalText = ""

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _calendar(self) -> Arm:
        previous = -1
        for item in self.calendar:
            if item.weeks[0] != previous + 1:
                raise ValueError(f"calendar: phase {item.phase!r} must start in week {previous + 1}")
            previous = item.weeks[1]
        if self.crossover and not self.crossover_offer:
            raise ValueError("an arm with crossover needs a crossover_offer text")
        return self

    # The arm's calendar read as weeks since allocation (week 0): the engine opens modules and offers
    # check-ins by these, and the trial's report counts by them, so both read one definition.

    def phase_at(self, week: int) -> ArmPhase | None:
        return next((item for item in self.calendar if item.weeks[0] <= week <= item.weeks[1]), None)

    @property
    def last_week(self) -> int:
        return self.calendar[-1].weeks[1]

    def check_in_days(self, allocated_on: date) -> tuple[date, ...]:
        """Every check-in date: the start of each ``check_in_every_weeks``-th week of a phase that has them."""
        days: list[date] = []
        for item in self.calendar:
            if item.check_in_every_weeks is None:
                continue
            for week in range(item.weeks[0], item.weeks[1] + 1, item.check_in_every_weeks):
                days.append(allocated_on + timedelta(weeks=week))
        return tuple(days)

    def crossover_day(self, allocated_on: date) -> date | None:
        """The local date the programme is offered to a waiting-list participant (None without crossover)."""
        return allocated_on + timedelta(weeks=self.last_week + 1) if self.crossover else None


class Retention(Strict):
    """What the site keeps; the days themselves are settings (ICBT_TRIAL_RETENTION_DAYS)."""

    not_eligible: LocalText  # what a not-eligible applicant is told about their answers
    after_erasure: Literal["allocation", "nothing"] = "allocation"


class TrialWords(Strict):
    """What the bot says between the steps of joining."""

    to_interview: LocalText  # after an eligible application: someone will call
    included: LocalText  # after the therapist's include: the consent follows
    excluded: LocalText  # after the therapist's exclude (with where to seek help)


class PrimaryOutcome(Strict):
    """The scale the trial is powered and judged on: without its wording there is no trial."""

    instrument: Ident
    scale: Ident


class TrialSpec(Strict):
    version: str = Field(min_length=1, max_length=64)
    questions: tuple[ApplicationQuestion, ...] = Field(min_length=1)
    contact_question: Ident  # the question asking when (or how) the interviewer may reach the applicant
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    screens: tuple[Screen, ...] = ()
    arms: tuple[Arm, ...] = Field(min_length=2)
    block_sizes: tuple[int, ...] = Field(default=(4, 6, 8), min_length=1)  # drawn at random for each block
    # The big stick design instead of blocks: a fair coin unless a stratum's arms are this far apart
    # (equal weights only); harder to guess than blocks with the same worst imbalance (docs/trial.md).
    max_imbalance: int | None = Field(default=None, ge=1, le=10)
    strata: tuple[Ident, ...] = ()
    primary_outcome: PrimaryOutcome | None = None  # `icbt run` refuses a trial without it (or its wording)
    not_eligible_intro: LocalText
    seek_help: LocalText
    retention: Retention
    words: TrialWords

    @model_validator(mode="after")
    def _references(self) -> TrialSpec:
        ids = [q.id for q in self.questions]
        for name, wanted in [("contact_question", [self.contact_question]), ("strata", list(self.strata))]:
            for qid in wanted:
                if qid not in ids:
                    raise ValueError(f"{name}: no question {qid!r}")
        for criterion in self.criteria:
            for qid in (criterion.question, *criterion.when):
                if qid not in ids:
                    raise ValueError(f"criterion {criterion.id!r}: no question {qid!r}")
        unit = sum(arm.weight for arm in self.arms)
        if self.max_imbalance is not None and len({arm.weight for arm in self.arms}) > 1:
            raise ValueError("max_imbalance: the big stick design needs arms of equal weight (use block_sizes)")
        for size in self.block_sizes:
            if size % unit:
                raise ValueError(f"block_sizes: {size} is not a multiple of the arms' weights ({unit})")
        arm_ids = [arm.id for arm in self.arms]
        if len(set(arm_ids)) != len(arm_ids):
            raise ValueError("arms: duplicate arm id")
        return self

    def contact_of(self, answers: Mapping[str, Any]) -> str | None:
        """How the interviewer reaches the applicant: the one phone number the application asks for (the
        question that ``keeps: safety_phone``, used for the interview and the safety net alike) and the
        answer to ``contact_question`` (when to call), without saying the same thing twice."""
        phone = next((q.id for q in self.questions if q.keeps == "safety_phone"), None)
        parts: list[str] = []
        for qid in (phone, self.contact_question):
            value = answers.get(qid) if qid else None
            if value not in (None, "") and str(value) not in parts:
                parts.append(str(value))
        return "; ".join(parts) or None

    def arm(self, arm_id: str) -> Arm:
        for arm in self.arms:
            if arm.id == arm_id:
                return arm
        raise KeyError(arm_id)
