"""A seeded, realistic synthetic trial like the seed's (54 randomized, 26 treatment / 28 control).

It exists so the export and the report can be built and tested before any real participant: means
and SDs follow the seed's Tables II and III, four people drop out (three treated, one control),
eight treated people leave some modules unfinished. Answers are generated item by item and scored
with the real ``scoring`` module, so scores and answers agree. The simulator that drives the real
engine on the simulated clock comes later and will replace this for protocol rehearsal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from bot.content.schema import Instrument, InstrumentItem
from bot.measures.dataset import (
    AnswerRecord,
    Arm,
    DiaryRecord,
    ModuleProgressRecord,
    ParticipantRecord,
    ScoreRecord,
    TherapistContactRecord,
    TrialDataset,
)
from bot.measures.scoring import score

# (instrument, scale): treatment pre, treatment post, control pre, control post, SD - Table III.
TARGETS: dict[tuple[str, str], tuple[float, float, float, float, float]] = {
    ("csq", "diverting"): (11.2, 11.5, 11.4, 10.8, 5.8),
    ("csq", "reinterpreting"): (5.3, 6.2, 5.4, 6.1, 4.6),
    ("csq", "self_statements"): (21.0, 19.1, 18.3, 19.4, 6.4),
    ("csq", "ignoring"): (15.4, 17.6, 15.3, 14.7, 6.5),
    ("csq", "praying"): (11.0, 10.8, 10.8, 9.2, 6.6),
    ("csq", "catastrophizing"): (14.3, 9.5, 12.0, 11.6, 7.2),
    ("csq", "activity"): (16.0, 14.3, 15.6, 15.9, 5.3),
    ("csq", "control_over_pain"): (3.3, 3.0, 2.9, 2.8, 1.35),
    ("csq", "ability_to_decrease"): (3.1, 3.3, 3.0, 3.0, 0.95),
    ("mpi_s", "pain_severity"): (3.5, 3.15, 3.2, 3.35, 2.3),
    ("mpi_s", "interference"): (3.6, 3.2, 3.9, 3.5, 1.25),
    ("mpi_s", "life_control"): (3.1, 3.9, 2.7, 3.1, 1.0),
    ("mpi_s", "affective_distress"): (2.9, 2.8, 3.0, 3.1, 0.75),
    ("mpi_s", "support"): (4.0, 4.2, 3.9, 3.8, 1.55),
    ("mpi_s", "punishing"): (1.0, 0.7, 1.5, 1.2, 1.4),
    ("mpi_s", "solicitous"): (2.3, 2.3, 2.1, 1.9, 1.4),
    ("mpi_s", "distracting"): (2.5, 2.5, 2.7, 2.5, 1.7),
    ("pairs", "total"): (53.3, 49.1, 48.3, 46.1, 12.3),
    ("hads", "anxiety"): (7.6, 5.8, 7.6, 7.0, 4.5),
    ("hads", "depression"): (6.3, 4.9, 6.3, 6.3, 4.4),
    ("qoli", "overall"): (1.2, 1.7, 1.8, 1.1, 1.45),
    ("phq9", "total"): (8.0, 5.5, 8.0, 7.8, 5.0),
    ("gad7", "total"): (7.0, 5.0, 7.0, 6.8, 4.5),
    ("pain_rating", "average"): (5.5, 4.6, 5.4, 5.3, 1.8),
}
INSTRUMENTS = ("pain_rating", "phq9", "gad7", "csq", "mpi_s", "pairs", "hads", "qoli")
MODULES = tuple(f"week{n:02d}" for n in range(2, 10))
EXCLUSIONS = (
    "MADRS-S above the cut-off (20)",
    "back pain for less than 3 months",
    "other treatment for back pain under way",
    "did not complete the baseline assessment",
)
START = date(2026, 1, 5)


def synthetic_trial(
    instruments: Mapping[str, Instrument], seed: int = 1, treatment: int = 26, control: int = 28, excluded: int = 38
) -> TrialDataset:
    """Build the whole trial from one seed: the same seed gives the same dataset."""
    rng = np.random.default_rng(seed)
    arms: list[Arm] = ["treatment"] * treatment + ["control"] * control
    rng.shuffle(arms)
    dropouts = set(rng.choice([i for i, a in enumerate(arms) if a == "treatment"], 3, replace=False).tolist())
    dropouts |= set(rng.choice([i for i, a in enumerate(arms) if a == "control"], 1, replace=False).tolist())
    build = _Builder(rng, instruments)
    for index in range(excluded):
        applied = START + timedelta(days=int(rng.integers(0, 42)))
        reason = int(rng.integers(0, len(EXCLUSIONS)))
        build.participants.append(
            ParticipantRecord(
                code=f"S-{index + 1:04d}", arm=None, status="excluded", applied_on=applied,
                exclusion_reason=EXCLUSIONS[reason], outcome="excluded" if reason == 3 else "not_eligible",
            )
        )  # fmt: skip
    for index, arm in enumerate(arms):
        build.person(f"P-{index + 1:04d}", arm, dropped=index in dropouts)
    return TrialDataset(
        participants=tuple(sorted(build.participants, key=lambda p: p.code)),
        answers=tuple(build.answers),
        scores=tuple(build.scores),
        diary=tuple(build.diary),
        modules=tuple(build.modules),
        contacts=tuple(build.contacts),
    )


def _at(day: date, hour: int = 19) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


class _Builder:
    def __init__(self, rng: np.random.Generator, instruments: Mapping[str, Instrument]) -> None:
        self.rng = rng
        self.instruments = instruments
        self.participants: list[ParticipantRecord] = []
        self.answers: list[AnswerRecord] = []
        self.scores: list[ScoreRecord] = []
        self.diary: list[DiaryRecord] = []
        self.modules: list[ModuleProgressRecord] = []
        self.contacts: list[TherapistContactRecord] = []

    def person(self, code: str, arm: Arm, dropped: bool) -> None:
        rng = self.rng
        applied = START + timedelta(days=int(rng.integers(0, 42)))
        consented = applied + timedelta(days=int(rng.integers(1, 4)))
        randomized = consented + timedelta(days=14)
        drop_week = int(rng.integers(2, 8)) if dropped else None
        dropped_on = randomized + timedelta(weeks=drop_week) if drop_week else None
        traits = self.characteristics()
        self.participants.append(
            ParticipantRecord(
                code=code, arm=arm, status="dropped_out" if dropped else "completed", applied_on=applied,
                consented_on=consented, randomized_on=randomized, dropped_out_on=dropped_on,
                characteristics=traits, outcome="lost" if dropped else "completed",
                stratum="sex=female" if traits["gender"] == "woman" else "sex=male",
                allocated_at=_at(randomized, 9),
            )
        )  # fmt: skip
        offsets = {key: rng.normal(0, 1) for key in TARGETS}  # a person's place in each distribution
        changes = self.changes(arm, offsets)
        for name in INSTRUMENTS:
            self.administer(code, name, "baseline", _at(consented + timedelta(days=13)), arm, offsets, None)
        pain_level = rng.normal(5.4, 1.6)
        self.diary_window(code, "baseline", consented, pain_level)
        if arm == "treatment":
            self.treatment(code, randomized, drop_week, offsets, changes)
        if not dropped:
            post_day = randomized + timedelta(weeks=8)
            for name in INSTRUMENTS:
                self.administer(code, name, "post", _at(post_day + timedelta(days=13)), arm, offsets, changes)
            self.diary_window(code, "post", post_day, pain_level - (0.9 if arm == "treatment" else 0.1))
        elif arm == "control":
            self.contacts.append(TherapistContactRecord(code, _at(randomized, 10), "message", 4.0))

    def changes(self, arm: Arm, offsets: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
        """Each scale's pre-to-post change for one person, in score points.

        The primary outcome changes as responders and non-responders do (about 60 % of the treated
        and 18 % of controls respond, as in the seed's reliable-change counts, a responder losing most
        of their baseline score); the other scales
        move by Table III's mean change plus individual variation.
        """
        rng = self.rng
        found = {}
        for key, (t_pre, t_post, c_pre, c_post, sd) in TARGETS.items():
            pre, post = (t_pre, t_post) if arm == "treatment" else (c_pre, c_post)
            found[key] = (post - pre) + rng.normal(0, 0.55) * sd
        responds = rng.random() < (0.6 if arm == "treatment" else 0.18)
        key = ("csq", "catastrophizing")
        t_pre, _, c_pre, _, sd = TARGETS[key]
        pre = max(0.0, (t_pre if arm == "treatment" else c_pre) + offsets[key] * sd)
        found[key] = -pre * rng.uniform(0.6, 0.95) if responds else rng.normal(1.0, 3.0)
        return found

    def treatment(
        self,
        code: str,
        randomized: date,
        drop_week: int | None,
        offsets: dict[tuple[str, str], float],
        changes: dict[tuple[str, str], float],
    ) -> None:
        rng = self.rng
        reach = len(MODULES) if drop_week is None else drop_week
        finishes = reach if drop_week is not None or rng.random() > 8 / 23 else int(rng.integers(4, 8))
        for number, module_id in enumerate(MODULES[:reach]):
            opened = _at(randomized + timedelta(weeks=number), 9)
            done = opened + timedelta(days=float(rng.uniform(0.5, 6))) if number < finishes else None
            self.modules.append(ModuleProgressRecord(code, module_id, number + 2, opened, done))
            minutes = float(np.clip(rng.normal(11, 4), 3, 30))
            self.contacts.append(
                TherapistContactRecord(code, opened + timedelta(days=6), "feedback", round(minutes, 1), number + 2)
            )
            if rng.random() < 0.35:
                self.contacts.append(
                    TherapistContactRecord(
                        code, opened + timedelta(days=2), "message", round(float(rng.uniform(2, 8)), 1)
                    )
                )
            if module_id in ("week04", "week08"):
                # The symptom check at modules 4 and 8: half-way between pre and post.
                self.administer(
                    code, "phq9", module_id, opened + timedelta(hours=1), "treatment", offsets, changes, 0.5
                )

    def administer(
        self,
        code: str,
        name: str,
        module_id: str,
        at: datetime,
        arm: Arm,
        offsets: Mapping[tuple[str, str], float],
        changes: Mapping[tuple[str, str], float] | None,
        fraction: float = 1.0,
    ) -> None:
        instrument = self.instruments[name]
        targets: dict[str, float] = {}
        for scale in instrument.scales:
            t_pre, _, c_pre, _, sd = TARGETS[(name, scale.id)]
            value = (t_pre if arm == "treatment" else c_pre) + offsets[(name, scale.id)] * sd
            if changes is not None:
                value += fraction * changes[(name, scale.id)]
            targets[scale.id] = value
        answers = self.item_answers(instrument, targets)
        for item_id, value in answers.items():
            self.answers.append(AnswerRecord(code, module_id, name, item_id, None, value, at))
        result = score(instrument, answers)
        for scale_id, part in result.scales.items():
            self.scores.append(
                ScoreRecord(code, name, module_id, name, scale_id, part.value, part.band, len(part.items_missing), part.prorated, at)
            )  # fmt: skip

    def item_answers(self, instrument: Instrument, targets: Mapping[str, float]) -> dict[str, int]:
        return item_answers(self.rng, instrument, targets)

    def diary_window(self, code: str, module_id: str, first: date, level: float) -> None:
        rng = self.rng
        for index in range(14):
            if rng.random() < 0.12:
                continue  # a missed day
            day = first + timedelta(days=index)
            average = int(np.clip(round(level + rng.normal(0, 1.1)), 0, 10))
            worst = int(np.clip(average + round(abs(rng.normal(1.5, 1))), 0, 10))
            activity = int(np.clip(round(10 - level + rng.normal(0, 1.5)), 0, 10))
            self.diary.append(DiaryRecord(code, module_id, day, index + 1, average, worst, activity))
            entry = day.isoformat()
            for field_id, value in (("average_pain", average), ("worst_pain", worst), ("activity_today", activity)):
                self.answers.append(AnswerRecord(code, module_id, "pain_diary", field_id, entry, value, _at(day)))

    def characteristics(self) -> dict[str, float | str | tuple[str, ...]]:
        rng = self.rng
        history = [
            name
            for name, share in (
                ("physical therapist", 0.43), ("chiropractor", 0.61), ("naprapath", 0.13),
                ("psychologist", 0.11), ("pain clinic", 0.02),
            )
            if rng.random() < share
        ]  # fmt: skip
        return {
            "age": round(float(np.clip(rng.normal(43.2, 9.8), 20, 66)), 0),
            "pain_years": round(float(np.clip(rng.normal(12.1, 8.5), 0.5, 45)), 1),
            "gender": "woman" if rng.random() < 0.685 else "man",
            "education": str(rng.choice(
                ["compulsory school", "upper secondary school", "university < 2 years", "university > 2 years"],
                p=[0.056, 0.407, 0.222, 0.315],
            )),
            "sick_leave": "yes" if rng.random() < 0.204 else "no",
            "pain_location": "back only" if rng.random() < 0.333 else "back and elsewhere",
            "treatment_history": tuple(history) or ("none",),
        }  # fmt: skip


def item_answers(
    rng: np.random.Generator, instrument: Instrument, targets: Mapping[str, float], may_skip: bool = True
) -> dict[str, int]:
    """Item answers whose scales land near ``targets`` (scale id -> score); also used by the simulator.

    With ``may_skip`` one item is now and then left unanswered (the dataset builder's missing items);
    the simulator answers every item, as the chat asks each one."""
    answers: dict[str, int] = {}
    for scale in instrument.scales:
        items = instrument.scale_items(scale)
        if scale.method == "weighted_mean":
            for item in items:
                weight = int(rng.choice([0, 1, 2], p=[0.1, 0.45, 0.45]))
                answers[item.weight or ""] = weight
                answers[item.id] = _nearest(item, targets[scale.id] / 1.5 + rng.normal(0, 1))
            continue
        per_item = targets[scale.id] / len(items) if scale.method == "sum" else targets[scale.id]
        for item in items:
            drawn = per_item + rng.normal(0, 0.8)
            if item.id in scale.reverse:  # the scale scores it reversed: answer on the item's own direction
                drawn = item.min + item.max - drawn
            answers[item.id] = _nearest(item, drawn)
    if may_skip and rng.random() < 0.05:  # now and then one item is left unanswered
        answers.pop(next(iter(answers)))
    return answers


def _nearest(item: InstrumentItem, value: float) -> int:
    """The answer of the item's response format closest to ``value`` (the QOLI has no 0 to round to)."""
    return min(item.answers, key=lambda answer: (abs(answer - value), answer))
