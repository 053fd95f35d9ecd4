"""Synthetic people for the simulator: who they are, how faithfully they use the bot, what they answer.

Each person carries a place in every score's distribution (the seed's Tables II and III, as in
``bot.measures.synthetic.TARGETS``) and a personal change between baseline and post. The treatment
arm's change is the seed's mean change scaled by ``SimConfig.effect`` (1.0 = the seed's effect,
0.0 = no effect: both arms change like the waiting list). Answers are drawn per administration; the
simulator's driver types them into the real chat one item at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from bot.content.schema import Instrument
from bot.measures.synthetic import TARGETS, item_answers
from bot.simulate.calibration import Calibration

TREATED = "treatment"
PRIMARY = ("csq_catastrophizing", "catastrophizing")
# The single-scale CSQ file the baseline gives (primary outcome) follows the full CSQ's subscale.
ALIASES = {("csq_catastrophizing", "catastrophizing"): ("csq", "catastrophizing")}
SYMPTOM_CHECKS = {"week05": 0.5, "week09": 0.9}  # share of the pre-to-post change reached by that module


@dataclass(frozen=True)
class SimConfig:
    """What a researcher varies when rehearsing the protocol."""

    participants: int = 54  # people who reach the draw
    seed: int = 1
    excluded: int | None = None  # extra applicants not taken in; None: the seed's ratio (38 per 54)
    excluded_at_interview: float = 0.5  # share of those who pass the application but not the interview
    adherence: float = 0.85  # mean chance that a person answers the bot on a given day
    dropout: float = 0.074  # chance that a randomized person stops answering for good during weeks 2-9
    effect: float = 1.0  # treatment effect as a multiple of the seed's (0 = none)
    recruit_days: int = 28  # arrivals are spread over this many days
    crossover_accept: float = 0.8  # share of the waiting list who take the programme when offered
    primary_change: tuple[float, float, float] = (-6.0, -0.6, 4.2)  # latent change: treatment, control; SD
    other_change_sd: float = 0.55  # every other scale's SD of individual change, as a share of its SD

    def applicants_excluded(self) -> int:
        return round(self.participants * 38 / 54) if self.excluded is None else self.excluded

    @classmethod
    def calibrated(cls, calibration: Calibration, **given: object) -> SimConfig:
        """The configuration from ``content/trial/simulation.yaml``; ``given`` values (not None) win."""
        change = calibration.primary_change
        values: dict[str, object] = {
            "adherence": calibration.adherence, "dropout": calibration.dropout, "effect": calibration.effect,
            "crossover_accept": calibration.crossover_accept, "other_change_sd": calibration.other_change_sd,
            "primary_change": (change.treatment, change.control, change.sd),
        }  # fmt: skip
        values |= {k: v for k, v in given.items() if v is not None}
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class Person:
    """One synthetic participant; ``arm`` is filled in by the draw, never chosen here."""

    index: int
    chat: str
    arrives: float  # days after the simulation starts
    screened_out: str | None  # None: taken in; "application": not eligible by the answers; "interview"
    adherence: float
    drop_week: int | None  # the programme week after which they stop answering (None: never)
    offsets: dict[tuple[str, str], float]
    change: dict[tuple[str, str], float] = field(default_factory=dict)
    pain_level: float = 5.4
    takes_crossover: bool = False  # on the waiting list: says yes when the programme is offered
    arm: str | None = None
    code: str | None = None
    participant_id: int | None = None
    answers: dict[str, object] = field(default_factory=dict)  # the application, as this person answers it
    administrations: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)

    def engaged(self, rng: np.random.Generator, week: int | None) -> bool:
        """Does the person use the bot today? Never again after dropping out."""
        if self.dropped(week):
            return False
        return bool(rng.random() < self.adherence)

    def dropped(self, week: int | None) -> bool:
        """Gone for good: past the week after which this person answers nothing more."""
        return self.drop_week is not None and week is not None and week > self.drop_week


def make_people(config: SimConfig, rng: np.random.Generator) -> list[Person]:
    """Everyone who will apply: ``participants`` eligible people and the screened-out ones (at the
    application or at the interview), shuffled in time."""
    excluded = config.applicants_excluded()
    at_interview = round(excluded * config.excluded_at_interview)
    total = config.participants + excluded
    fates: list[str | None] = [None] * config.participants + ["application"] * (excluded - at_interview)
    fates += ["interview"] * at_interview
    rng.shuffle(fates)  # type: ignore[arg-type]
    people = []
    for index, fate in enumerate(fates):
        offsets = {key: float(np.clip(rng.normal(0, 1), -2.2, 2.2)) for key in TARGETS}
        adherence = float(np.clip(rng.beta(8, 8 * (1 - config.adherence) / config.adherence), 0.05, 1.0))
        drop = int(rng.integers(2, 9)) if rng.random() < config.dropout else None
        people.append(
            Person(
                index=index, chat=f"sim-{index + 1:04d}", arrives=float(rng.uniform(0, config.recruit_days)),
                screened_out=fate, adherence=adherence, drop_week=drop, offsets=offsets,
                pain_level=float(np.clip(rng.normal(5.4, 1.6), 1, 9)),
                # its own stream: adding the crossover left every other draw of a seed as it was
                takes_crossover=bool(np.random.default_rng([config.seed, index]).random() < config.crossover_accept),
            )
        )  # fmt: skip
    assert len(people) == total
    return sorted(people, key=lambda p: p.arrives)


def decide_change(person: Person, config: SimConfig, rng: np.random.Generator) -> None:
    """The person's pre-to-post change on every scale, once the draw has named the arm.

    The primary outcome's change is normal around its arm's mean change in the seed (scaled by
    ``effect`` for the treated) with the SD the seed's F implies (``content/trial/simulation.yaml``),
    so simulated effect sizes land near the seed's instead of responders dropping to zero. Every other
    scale changes by the seed's mean change plus noise of ``other_change_sd`` times its SD."""
    treated = person.arm == TREATED
    for key, (t_pre, t_post, c_pre, c_post, sd) in TARGETS.items():
        control = c_post - c_pre
        mean = control + config.effect * ((t_post - t_pre) - control) if treated else control
        person.change[key] = mean + float(rng.normal(0, config.other_change_sd)) * sd
    treatment_change, control_change, change_sd = config.primary_change
    mean = control_change + config.effect * (treatment_change - control_change) if treated else control_change
    person.change[ALIASES[PRIMARY]] = float(rng.normal(mean, change_sd))
    person.change[("pain", "diary")] = -0.9 * config.effect if treated else -0.1


def _pre_mean(key: tuple[str, str]) -> float:
    """Both arms' baseline mean in the seed (26 treated, 28 on the waiting list). One mean for both:
    the baseline is answered before the draw, so it cannot depend on the arm (the seed's difference
    between the arms at baseline was chance, and is not copied)."""
    t_pre, _, c_pre, _, _ = TARGETS[key]
    return (26 * t_pre + 28 * c_pre) / 54


def target(person: Person, instrument: Instrument, scale_id: str, reached: float) -> float:
    """The score a person gives on one scale at ``reached`` (0 = baseline, 1 = post) of their change."""
    key = ALIASES.get((instrument.id, scale_id), (instrument.id, scale_id))
    if key in TARGETS:
        sd = TARGETS[key][4]
        return _pre_mean(key) + person.offsets[key] * sd + reached * person.change.get(key, 0.0)
    items = instrument.scale_items(next(s for s in instrument.scales if s.id == scale_id))
    low, high = sum(i.min for i in items), sum(i.max for i in items)
    return low + 0.25 * (high - low)  # an instrument the seed did not report (MADRS-S): mild, unchanged


def administer(
    person: Person, instrument: Instrument, where: tuple[str, str, str], reached: float, rng: np.random.Generator
) -> dict[str, int]:
    """This administration's answers (drawn once, then typed item by item); every item answered."""
    if where not in person.administrations:
        targets = {scale.id: target(person, instrument, scale.id, reached) for scale in instrument.scales}
        answers = item_answers(rng, instrument, targets, may_skip=False)
        for item in instrument.items:
            answers.setdefault(item.id, item.min)
        if instrument.id == "phq9":
            answers["q9"] = 0  # simulated people are not at risk: the safety gate is tested elsewhere
        person.administrations[where] = answers
    return person.administrations[where]


def reached_at(module_id: str) -> float:
    """How far along their change a person is when a module gives a questionnaire."""
    if module_id == "post":
        return 1.0
    return SYMPTOM_CHECKS.get(module_id, 0.0)


def diary_values(person: Person, module_id: str, rng: np.random.Generator) -> dict[str, int]:
    """One day's pain diary: average and worst pain, activity (0-10)."""
    level = person.pain_level + (person.change.get(("pain", "diary"), 0.0) if module_id == "post" else 0.0)
    average = int(np.clip(round(level + rng.normal(0, 1.1)), 0, 10))
    worst = int(np.clip(average + round(abs(rng.normal(1.5, 1))), 0, 10))
    activity = int(np.clip(round(10 - level + rng.normal(0, 1.5)), 0, 10))
    return {"average_pain": average, "worst_pain": worst, "activity_today": activity}


NOT_ELIGIBLE = ("pain_since", "age", "heart_disease", "surgery_planned", "wheelchair")


def application(person: Person, applied_on: date, rng: np.random.Generator) -> dict[str, object]:
    """How this person answers the chat's application questions (by question id). Someone screened out
    at the application breaks one of the seed's criteria; the screening questionnaires are answered
    mildly (``chat.py``)."""
    answers: dict[str, object] = {
        "age": int(np.clip(rng.normal(43, 10), 20, 64)),
        "sex": "female" if rng.random() < 0.685 else "male",
        "internet": True,
        "physician": True,
        "pain_region": str(rng.choice(["lower_back", "mid_back", "neck", "several"])),
        "pain_since": (applied_on - timedelta(days=int(rng.uniform(1, 25) * 365))).isoformat(),
        "work": "employed" if rng.random() < 0.8 else "sick_leave",
        "sick_leave_months": int(rng.integers(0, 6)),
        "wheelchair": False,
        "surgery_planned": False,
        "heart_disease": False,
        "warning_now": False,  # the safety questions: no warning sign, the site's country, who to call
        "warning_today": False,
        "warning_soon": False,
        "country": "se",
        "safety_phone": "phone (simulated)",
        "doctor": "health centre (simulated)",
        "contact": "phone, afternoons (simulated)",
    }
    if person.screened_out == "application":
        broken = str(rng.choice(NOT_ELIGIBLE))
        if broken == "pain_since":
            answers[broken] = (applied_on - timedelta(days=40)).isoformat()  # pain for less than 3 months
        elif broken == "age":
            answers[broken] = int(rng.integers(66, 75))
        else:
            answers[broken] = True
    return answers
