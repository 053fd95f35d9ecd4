"""The trial's one count: where each person ended up, and the CONSORT flow those outcomes add up to.

``icbt trial status``, the report's enrolment flow and the research export all classify people with
``outcome_of`` and count with ``consort``, so the three can never disagree about who completed, who was
lost and who withdrew (pure; the callers read the facts).

Every person has exactly one outcome. Before the draw: still applying or waiting (``applying``,
``to_interview``, ``consent``, ``baseline``), ``not_eligible``, ``excluded`` at the interview,
``declined`` the consent, or ``withdrawn_before_draw``. After it: ``ongoing``, ``completed`` (the post
measurement finished), ``lost`` (unreachable, or the arm's weeks over without the post measurement),
``withdrawn`` (data may be used) or ``withdrawn_removed`` (data marked for removal: counted here, left
out of every analysis and export of answers).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from bot.trial.stage import Facts, stage_of

Outcome = Literal[
    "applying", "not_eligible", "to_interview", "excluded", "consent", "declined", "baseline",
    "withdrawn_before_draw", "ongoing", "completed", "lost", "withdrawn", "withdrawn_removed",
]  # fmt: skip
AFTER_DRAW: tuple[Outcome, ...] = ("ongoing", "completed", "lost", "withdrawn", "withdrawn_removed")
POST = "post"  # the module of the post measurement: finishing it completes the trial's measurements

# The research dataset's status words (bot/measures/dataset.py) for each outcome.
DATASET_STATUS: dict[Outcome, str] = {
    "applying": "applied", "to_interview": "applied", "consent": "applied", "baseline": "active",
    "not_eligible": "excluded", "excluded": "excluded", "declined": "excluded", "withdrawn_before_draw": "excluded",
    "ongoing": "active", "completed": "completed",
    "lost": "dropped_out", "withdrawn": "dropped_out", "withdrawn_removed": "dropped_out",
}  # fmt: skip


@dataclass(frozen=True)
class Person:
    """What the count needs to know about one person (read from storage by the caller)."""

    facts: Facts
    status: str  # the participant row's status: new | onboarding | declined | active | completed | withdrawn
    finished: tuple[str, ...] = ()  # modules finished (the position's ``finished``)
    arm: str | None = None
    arm_over: bool = False  # the arm's calendar has run past its last week
    unreachable: bool = False
    may_use_data: bool | None = None  # the withdrawal's choice; None when not withdrawn
    crossed_over: bool = False


def outcome_of(person: Person) -> Outcome:
    """The person's place in the CONSORT flow: the trial stage (``stage_of``) refined by what only the
    count needs (the withdrawal's choice, the arm's end, a declined consent)."""
    f = person.facts
    stage = stage_of(f)
    if stage == "withdrawn":
        if not f.allocated:
            return "withdrawn_before_draw"
        return "withdrawn" if person.may_use_data else "withdrawn_removed"
    if stage == "allocated":
        if POST in person.finished:
            return "completed"
        if person.unreachable or person.arm_over:
            return "lost"
        return "ongoing"
    if stage == "apply":
        return "applying"
    if stage in ("not_eligible", "to_interview", "excluded"):
        return stage
    if person.status == "declined":
        return "declined"
    return "baseline" if stage == "allocate" else "consent"


@dataclass(frozen=True)
class Consort:
    """The flow: everyone who applied, why people were not randomised, and each arm's outcomes."""

    applied: int
    before_draw: dict[str, int]  # outcome -> people not (yet) randomised
    randomised: int
    arms: dict[str, dict[str, int]] = field(default_factory=dict)  # arm -> outcome -> people
    crossed_over: int = 0

    def arm(self, arm: str, outcome: str) -> int:
        return self.arms.get(arm, {}).get(outcome, 0)

    def analysed(self, arm: str) -> int:
        """Intention to treat: everyone allocated, except those whose data are marked for removal."""
        return sum(self.arms.get(arm, {}).values()) - self.arm(arm, "withdrawn_removed")


def consort(people: Iterable[Person]) -> Consort:
    before: Counter[str] = Counter()
    arms: dict[str, Counter[str]] = {}
    crossed = 0
    applied = 0
    for person in people:
        outcome = outcome_of(person)
        applied += person.facts.applied
        if outcome in AFTER_DRAW:
            arms.setdefault(person.arm or "-", Counter())[outcome] += 1
            crossed += person.crossed_over
        else:
            before[outcome] += 1
    return Consort(
        applied=applied,
        before_draw=dict(before),
        randomised=sum(sum(c.values()) for c in arms.values()),
        arms={arm: dict(c) for arm, c in sorted(arms.items())},
        crossed_over=crossed,
    )
