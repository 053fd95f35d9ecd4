"""The trial as a plain value: what export and report work on, wherever it came from.

A ``TrialDataset`` is built from the database (``bot.measures.db_loader``), by the seeded
``synthetic`` generator, or read back from an export. Participants are known by their pseudonymous
code only; nothing here can name a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Arm = Literal["treatment", "control"]
Characteristic = float | str | tuple[str, ...]  # a number, a category, or several categories


@dataclass(frozen=True)
class ParticipantRecord:
    code: str
    arm: Arm | None  # None: not randomized (excluded at screening, or still waiting)
    status: str  # applied | excluded | active | completed | dropped_out
    applied_on: date
    consented_on: date | None = None
    randomized_on: date | None = None
    dropped_out_on: date | None = None
    exclusion_reason: str | None = None  # a fixed phrase or criteria ids, never a person's own words
    characteristics: Mapping[str, Characteristic] = field(default_factory=dict)
    outcome: str | None = None  # the one count's outcome (bot/trial/flow.py), e.g. completed, not_eligible
    stratum: str | None = None  # the allocation's stratum, as drawn
    allocated_at: datetime | None = None  # the moment of the draw (UTC)
    withdrawal: str | None = None  # keep_data | remove_data; None = not withdrawn
    withdrawn_on: date | None = None
    exclusion_note: str | None = None  # the interviewer's own words: free text, exported only on request


@dataclass(frozen=True)
class AnswerRecord:
    code: str
    module_id: str
    step_id: str
    field_id: str | None
    entry_id: str | None
    value: Any  # as stored: an int for a questionnaire item, a number or text for a form field
    answered_at: datetime


@dataclass(frozen=True)
class ScoreRecord:
    """One scale of one administration (tidy: one row per scale)."""

    code: str
    instrument: str
    module_id: str  # the administration: baseline, post, or the module where it was given
    step_id: str
    scale: str
    value: float | None
    band: str | None
    items_missing: int
    prorated: bool
    at: datetime  # when the participant answered (a correction keeps the administration's time)
    corrected: bool = False  # the value comes from a correction (icbt participants correct), not the first score


@dataclass(frozen=True)
class DiaryRecord:
    code: str
    module_id: str  # the diary window: baseline or post
    day: date
    day_index: int  # 1 = the window's first day
    average_pain: float | None
    worst_pain: float | None
    activity: float | None


@dataclass(frozen=True)
class ModuleProgressRecord:
    code: str
    module_id: str
    week: int
    opened_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class TherapistContactRecord:
    code: str
    at: datetime
    kind: str  # message | feedback | call | alert
    minutes: float
    week: int | None = None  # programme week the minutes were for (week 0 = the first baseline week)


PRE_MODULE, POST_MODULE = "baseline", "post"  # the modules whose questionnaires are before and after


@dataclass(frozen=True)
class TrialDataset:
    participants: tuple[ParticipantRecord, ...]
    answers: tuple[AnswerRecord, ...] = ()
    scores: tuple[ScoreRecord, ...] = ()
    diary: tuple[DiaryRecord, ...] = ()
    modules: tuple[ModuleProgressRecord, ...] = ()
    contacts: tuple[TherapistContactRecord, ...] = ()
    pre_module: str = PRE_MODULE
    post_module: str = POST_MODULE

    def arm_of(self) -> dict[str, Arm]:
        return {p.code: p.arm for p in self.participants if p.arm is not None}

    def randomized(self, arm: Arm | None = None) -> tuple[ParticipantRecord, ...]:
        return tuple(p for p in self.participants if p.arm is not None and (arm is None or p.arm == arm))

    def series(self, instrument: str, scale: str) -> dict[str, list[tuple[datetime, float | None]]]:
        """Per participant, every administration's value of one scale in time order."""
        found: dict[str, list[tuple[datetime, float | None]]] = {}
        for s in sorted(self.scores, key=lambda s: s.at):
            if s.instrument == instrument and s.scale == scale:
                found.setdefault(s.code, []).append((s.at, s.value))
        return found

    def value_at(self, instrument: str, scale: str, module_id: str) -> dict[str, float]:
        return {
            s.code: s.value
            for s in self.scores
            if s.instrument == instrument and s.scale == scale and s.module_id == module_id and s.value is not None
        }
