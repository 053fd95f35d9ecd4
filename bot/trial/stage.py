"""Where one person stands in the trial, decided from stored facts (pure).

The order is the seed's: application → (eligible) interview → (include) consent → draw. Nobody sees
the consent step before a therapist's include; nobody is drawn before consenting; a withdrawal ends
everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stage = Literal[
    "apply",  # no application yet
    "not_eligible",  # the application did not meet a criterion or screen
    "to_interview",  # eligible; staff call them
    "excluded",  # a therapist excluded them at the interview
    "consent",  # included; the consent step may be shown
    "allocate",  # consented; the draw is due
    "allocated",  # drawn; the arm's calendar runs
    "withdrawn",
]

STAGES: tuple[Stage, ...] = (
    "apply", "not_eligible", "to_interview", "excluded", "consent", "allocate", "allocated", "withdrawn",
)  # fmt: skip


@dataclass(frozen=True)
class Facts:
    applied: bool = False
    eligible: bool = False
    interview: str | None = None  # the latest outcome: include | exclude
    consented: bool = False  # the latest consent decision was "I agree"
    allocated: bool = False
    withdrawn: bool = False


def stage_of(facts: Facts) -> Stage:
    if facts.withdrawn:
        return "withdrawn"
    if facts.allocated:
        return "allocated"
    if not facts.applied:
        return "apply"
    if not facts.eligible:
        return "not_eligible"
    if facts.interview is None:
        return "to_interview"
    if facts.interview == "exclude":
        return "excluded"
    return "allocate" if facts.consented else "consent"


def may_see_consent(stage: Stage) -> bool:
    """The consent step is shown only after a therapist's include (and again after a decline)."""
    return stage == "consent"
