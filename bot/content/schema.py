"""The shape of the YAML content, as pydantic models.

Admins write these files; the models make every mistake show up at validation time with the path of
the offending field, instead of in a participant's chat. All models are frozen: a loaded programme
never changes while the bot runs.
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import Field, field_validator, model_validator

# Re-exported: the answer-dependent models and the basics are part of the content schema too.
from bot.content.answers import Check, Condition, Reflect, Remind, Reply, ShowIf, first_reply  # noqa: F401
from bot.content.base import (  # noqa: F401
    ID_PATTERN,
    TIME_PATTERN,
    Ident,
    LocalText,
    Strict,
    check_hhmm,
    check_id,
)


class Option(Strict):
    id: Ident
    label: LocalText
    goto: str | None = None

    _id = field_validator("id")(check_id)


class FieldSpec(Strict):
    """One field of a form, an exercise log or a questionnaire."""

    id: Ident
    kind: Literal["text", "number", "scale", "choice", "date", "time"]
    label: LocalText
    optional: bool = False
    min: float | None = None
    max: float | None = None
    decimals: int = Field(default=0, ge=0, le=3)
    unit: LocalText | None = None
    min_label: LocalText | None = None
    max_label: LocalText | None = None
    options: tuple[Option, ...] = ()
    replies: tuple[Reply, ...] = ()
    show_if: ShowIf | None = None

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _bounds(self) -> FieldSpec:
        check_bounds(self.kind, self.min, self.max, self.options)
        return self


def check_bounds(kind: str, lo: float | None, hi: float | None, options: tuple[Option, ...]) -> None:
    if kind in ("number", "scale"):
        if lo is None or hi is None:
            raise ValueError(f"a {kind} needs both min and max")
        if lo >= hi:
            raise ValueError(f"bad bounds: min ({lo:g}) must be below max ({hi:g})")
        if kind == "scale" and (lo != int(lo) or hi != int(hi) or hi - lo > 100):
            raise ValueError("bad bounds: a scale needs whole-number min and max at most 100 apart")
    if kind == "choice" and len(options) < 2:
        raise ValueError("a choice needs at least two options")
    ids = [o.id for o in options]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate option id")


class StepBase(Strict):
    id: Ident
    title: LocalText | None = None
    text: LocalText = ""
    # In a trial, what an arm reads instead of ``text`` (arm id -> text): the waiting list is not
    # thanked for a programme it has not had, nor told what it "practised".
    text_for_arm: dict[str, LocalText] = Field(default_factory=dict)

    _id = field_validator("id")(check_id)


class PageStep(StepBase):
    kind: Literal["page"]
    image: str | None = None
    button: LocalText | None = None


class ChoiceStep(StepBase):
    kind: Literal["choice"]
    options: tuple[Option, ...]
    replies: tuple[Reply, ...] = ()

    @model_validator(mode="after")
    def _options(self) -> ChoiceStep:
        check_bounds("choice", None, None, self.options)
        return self


class TextStep(StepBase):
    kind: Literal["text"]
    optional: bool = False


class ScaleStep(StepBase):
    kind: Literal["scale"]
    min: int
    max: int
    min_label: LocalText | None = None
    max_label: LocalText | None = None
    replies: tuple[Reply, ...] = ()

    @model_validator(mode="after")
    def _bounds(self) -> ScaleStep:
        check_bounds("scale", self.min, self.max, ())
        return self


class NumberStep(StepBase):
    kind: Literal["number"]
    min: float
    max: float
    decimals: int = Field(default=0, ge=0, le=3)
    unit: LocalText | None = None
    replies: tuple[Reply, ...] = ()

    @model_validator(mode="after")
    def _bounds(self) -> NumberStep:
        check_bounds("number", self.min, self.max, ())
        return self


def _unique_fields(fields: tuple[FieldSpec, ...], what: str) -> None:
    ids = [f.id for f in fields]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate {what} id {dupes[0]!r}")


class FormStep(StepBase):
    kind: Literal["form"]
    fields: tuple[FieldSpec, ...] = Field(min_length=1)
    repeatable: bool = False
    reflect: tuple[Reflect, ...] = ()
    checks: tuple[Check, ...] = ()
    remind: Remind | None = None

    @model_validator(mode="after")
    def _unique(self) -> FormStep:
        _unique_fields(self.fields, "field")
        return self


class ExerciseStep(StepBase):
    kind: Literal["exercise"]
    script: tuple[LocalText, ...] = Field(min_length=1)
    log: tuple[FieldSpec, ...] = ()
    reflect: tuple[Reflect, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> ExerciseStep:
        _unique_fields(self.log, "log field")
        return self


class QuestionStep(StepBase):
    """Ask-the-therapist: the participant's question goes to the therapist queue."""

    kind: Literal["question"]


class ConsentStep(StepBase):
    kind: Literal["consent"]
    version: str = Field(min_length=1)
    agree: LocalText
    decline: LocalText


class QuestionnaireStep(StepBase):
    kind: Literal["questionnaire"]
    instrument: Ident


Step = Annotated[
    PageStep
    | ChoiceStep
    | TextStep
    | ScaleStep
    | NumberStep
    | FormStep
    | ExerciseStep
    | QuestionStep
    | ConsentStep
    | QuestionnaireStep,
    Field(discriminator="kind"),
]

STEP_KINDS = (
    "page", "choice", "text", "scale", "number", "form",
    "exercise", "question", "consent", "questionnaire",
)  # fmt: skip


class DailyPrompt(Strict):
    """A prompt offered once a day for ``days`` days, from ``start_day`` days after its module opens.

    ``after`` names a step of the module: the prompt starts only once the participant has done it
    (a practice reminder before the exercise has been taught would only confuse).
    """

    id: Ident
    title: LocalText
    at: str = "19:00"
    start_day: int = Field(default=0, ge=0, le=84)
    days: int = Field(default=7, ge=1, le=84)
    after: str | None = None
    # Essential prompts (the pain diary: a measure of the trial) are sent even to a participant who
    # opted out of reminders or reached their daily cap. Unset: a form is essential, an exercise is not.
    essential: bool | None = None
    step: Step

    _id = field_validator("id")(check_id)

    @field_validator("at")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_hhmm(value)


class ReportSpec(Strict):
    """The module's weekly report: a form step asked near the end of the week, not while reading.

    It is offered on ``day`` (0–6 of the module's week) at ``at`` local time, or as soon as the module is
    finished if that is later; unanswered, it is asked again every ``remind_after_days`` up to
    ``max_reminders`` times, then the therapist is alerted.
    """

    step: Ident
    day: int = Field(default=6, ge=0, le=6)
    at: str = "19:00"
    remind_after_days: int = Field(default=2, ge=1, le=7)
    max_reminders: int = Field(default=2, ge=0, le=5)

    _at = field_validator("at")(check_hhmm)


class Module(Strict):
    id: Ident
    title: LocalText
    week: int | None = Field(default=None, ge=0, le=52)
    summary: LocalText | None = None
    report: ReportSpec | None = None
    steps: tuple[Step, ...] = Field(min_length=1)
    daily: tuple[DailyPrompt, ...] = ()

    _id = field_validator("id")(check_id)


class Phase(Strict):
    id: Ident
    title: LocalText
    weeks: tuple[int, int]
    modules: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _weeks(self) -> Phase:
        if self.weeks[0] > self.weeks[1]:
            raise ValueError("bad bounds: weeks must be [first, last]")
        return self


class ProgrammeSpec(Strict):
    id: Ident
    title: LocalText
    default_language: str = "en"
    languages: tuple[str, ...] = ("en",)
    release_hour: int = Field(default=9, ge=0, le=23)
    onboarding: tuple[str, ...] = Field(min_length=1)
    phases: tuple[Phase, ...] = Field(min_length=1)
    # The mood questionnaires given between modules: a module without a week whose steps, named
    # ``weekNN`` after the programme week, are given at the waiting list's check-ins (see docs/measures.md).
    symptom_watch: str | None = None
    # The time zones /settings offers as buttons (any IANA name or known city can also be typed).
    # Empty: a built-in list of common European and North American zones.
    timezones: tuple[str, ...] = ()

    @field_validator("timezones")
    @classmethod
    def _zones(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = available_timezones()
        unknown = [z for z in value if z not in known]
        if unknown:
            raise ValueError(f"unknown time zone {unknown[0]!r} (use an IANA name like Europe/Stockholm)")
        return value


class InstrumentItem(Strict):
    id: Ident
    text: LocalText = ""
    min: int = 0
    max: int
    reverse: bool = False  # scored as min + max - answer
    alert_at: int | None = None  # an answer at or above this starts the safety protocol (concern)
    urgent_at: int | None = None  # an answer at or above this is urgent (crisis message, pause)
    values: dict[int, float] | None = None  # answer -> scored value, when the two differ
    weight: Ident | None = None  # for a weighted_mean scale: the item whose answer weights this one
    response_labels: tuple[LocalText, ...] = ()  # this item's own answer labels, lowest score first
    # The response format when not every whole number from min to max is an answer: the QOLI's
    # satisfaction scale has six options, -3..-1 and 1..3, and no neutral 0.
    options: tuple[int, ...] = ()

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _range(self) -> InstrumentItem:
        if self.min >= self.max:
            raise ValueError(f"bad bounds: min ({self.min}) must be below max ({self.max})")
        if self.options and (
            list(self.options) != sorted(set(self.options))
            or (self.options[0], self.options[-1]) != (self.min, self.max)
        ):
            raise ValueError(f"options must rise, each once, from min ({self.min}) to max ({self.max})")
        if self.response_labels and len(self.response_labels) != len(self.answers):
            answers = ", ".join(map(str, self.options)) if self.options else f"{self.min}..{self.max}"
            raise ValueError(f"response_labels needs one label per answer {answers}")
        if self.alert_at is not None and not self.min <= self.alert_at <= self.max:
            raise ValueError(f"alert_at {self.alert_at} is outside {self.min}..{self.max}")
        if self.urgent_at is not None and (self.alert_at is None or not self.alert_at <= self.urgent_at <= self.max):
            raise ValueError(f"urgent_at {self.urgent_at} needs an alert_at at or below it and at most {self.max}")
        if self.values is not None and set(self.values) != set(self.answers):
            raise ValueError(f"values must give a scored value for every answer {list(self.answers)}")
        return self

    @property
    def answers(self) -> tuple[int, ...]:
        """Every answer a person can give, lowest first."""
        return self.options or tuple(range(self.min, self.max + 1))


class Band(Strict):
    """A named range of a scale: from ``min`` (inclusive) up to the next band's ``min``."""

    min: float
    label: str = Field(min_length=1)


class Scale(Strict):
    """How one score is made from items: a total or a subscale, with what it takes to read it.

    ``max_missing``: with at most this many items unanswered the score is prorated (a sum from the mean
    of the answered items times the item count; a mean of the answered ones); with more there is no
    score. ``sd`` and ``reliability`` are the s1 and r of the Jacobson–Truax reliable change index.
    """

    id: Ident
    title: str = Field(min_length=1)
    items: tuple[Ident, ...] = ()  # empty: every item of the instrument
    method: Literal["sum", "mean", "weighted_mean"] = "sum"
    max_missing: int = Field(default=0, ge=0)
    bands: tuple[Band, ...] = ()
    cutoff: float | None = None  # a screening cut-off: at or above it (or above it, see cutoff_rule) positive
    better: Literal["lower", "higher"] = "lower"
    # "above": only a score above the cut-off is positive (the seed excluded MADRS-S above 20).
    cutoff_rule: Literal["at_or_above", "above"] = "at_or_above"
    better: Literal["lower", "higher"] = "lower"
    sd: float | None = Field(default=None, gt=0)
    reliability: float | None = Field(default=None, gt=0, lt=1)
    reliability_source: str = ""  # where the reliability comes from, printed beside every reliable change
    # Items scored in reverse (min + max - answer) in this scale only, e.g. the MPI-S mood item, which
    # runs from low to good mood, inside affective distress.
    reverse: tuple[Ident, ...] = ()

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _bands(self) -> Scale:
        lows = [b.min for b in self.bands]
        if lows != sorted(set(lows)):
            raise ValueError("bands must be in rising order of min, each min once")
        if self.reverse and self.items and not set(self.reverse) <= set(self.items):
            raise ValueError(
                f"reverse: {sorted(set(self.reverse) - set(self.items))[0]!r} is not an item of this scale"
            )
        return self

    def positive(self, value: float) -> bool | None:
        """Whether ``value`` is a positive screen by this scale's cut-off (None: no cut-off)."""
        if self.cutoff is None:
            return None
        return value > self.cutoff if self.cutoff_rule == "above" else value >= self.cutoff


class Instrument(Strict):
    """A questionnaire. Licensed instruments ship scoring metadata with empty ``text`` slots.

    ``scales`` say how it is scored; the first one (or the one named by ``primary``) is the total.
    """

    id: Ident
    title: LocalText
    licence: Literal["open", "licensed", "own"]
    source: str = ""  # the citation of the instrument
    licence_note: str = ""  # who holds the rights and what a site needs
    intro: LocalText = ""
    response_labels: tuple[LocalText, ...] = ()
    items: tuple[InstrumentItem, ...] = Field(min_length=1)
    reliability_r: float | None = Field(default=None, gt=0, lt=1)
    norm_sd: float | None = Field(default=None, gt=0)
    scales: tuple[Scale, ...] = ()
    primary: Ident | None = None

    _id = field_validator("id")(check_id)

    @model_validator(mode="after")
    def _scoring(self) -> Instrument:
        item_ids = [i.id for i in self.items]
        _unique_ids(item_ids, "item")
        _unique_ids([s.id for s in self.scales], "scale")
        by_id = {i.id: i for i in self.items}
        for scale in self.scales:
            for ref in (*scale.items, *scale.reverse):
                if ref not in by_id:
                    raise ValueError(f"scale {scale.id!r}: no item {ref!r}")
            if scale.method == "weighted_mean":
                for item in self.scale_items(scale):
                    if item.weight is None or item.weight not in by_id:
                        raise ValueError(f"scale {scale.id!r}: item {item.id!r} needs a weight naming another item")
            if scale.max_missing >= len(self.scale_items(scale)):
                raise ValueError(f"scale {scale.id!r}: max_missing must be below its item count")
        if self.primary is not None and self.primary not in {s.id for s in self.scales}:
            raise ValueError(f"primary: no scale {self.primary!r}")
        return self

    def scale_items(self, scale: Scale) -> tuple[InstrumentItem, ...]:
        if not scale.items:
            return tuple(i for i in self.items if not any(i.id == o.weight for o in self.items))
        by_id = {i.id: i for i in self.items}
        return tuple(by_id[ref] for ref in scale.items)

    @property
    def total_scale(self) -> Scale | None:
        """The scale reported as this instrument's total (the primary outcome for the CSQ)."""
        if not self.scales:
            return None
        if self.primary is None:
            return self.scales[0]
        return next(s for s in self.scales if s.id == self.primary)

    @property
    def wording_supplied(self) -> bool:
        return all(item.text for item in self.items)


def _unique_ids(ids: list[str], what: str) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate {what} id {dupes[0]!r}")
