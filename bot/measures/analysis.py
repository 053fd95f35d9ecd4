"""The report's numbers, as plain values: the flow, Tables II and III, the tests, adherence.

Everything is computed from a ``TrialDataset`` and the instruments' scoring metadata; rendering to
HTML and PNG happens in ``report`` and ``plots``. Statistics come from ``stats`` (scipy/statsmodels).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Literal

from bot.content.schema import Instrument, Scale
from bot.measures.dataset import Arm, TrialDataset
from bot.measures.reliable_change import reliable_change
from bot.measures.stats import Interaction, TwoByTwo, carried_forward, interaction, mean_sd, two_by_two

ARMS: tuple[Arm, Arm] = ("treatment", "control")
PRIMARY_CANDIDATES = (("csq", "catastrophizing"), ("csq_catastrophizing", "catastrophizing"))
# Table III's order, then the programme's own measures; anything else after, by id.
ORDER = ("csq", "csq_catastrophizing", "mpi_s", "pairs", "hads", "qoli", "pain_rating", "phq9", "gad7", "madrs_s")


@dataclass(frozen=True)
class Measure:
    instrument: Instrument
    scale: Scale

    @property
    def key(self) -> tuple[str, str]:
        return self.instrument.id, self.scale.id

    @property
    def label(self) -> str:
        title = (
            self.instrument.title
            if isinstance(self.instrument.title, str)
            else next(iter(self.instrument.title.values()))
        )
        short = title.split(" – ")[0]
        return short if len(self.instrument.scales) == 1 else f"{short}: {self.scale.title}"


def measures(dataset: TrialDataset, instruments: Mapping[str, Instrument]) -> list[Measure]:
    """Every scale with baseline scores, in the order of the instruments and their scales."""
    present = {(s.instrument, s.scale) for s in dataset.scores if s.module_id == dataset.pre_module}
    order = [i for i in instruments.values() if any(key[0] == i.id for key in present)]
    order.sort(key=lambda i: (ORDER.index(i.id) if i.id in ORDER else len(ORDER), i.id))
    return [Measure(i, s) for i in order for s in i.scales if (i.id, s.id) in present]


def primary_measure(found: Sequence[Measure], declared: tuple[str, str] | None = None) -> Measure | None:
    """The trial's declared primary outcome (trial.yaml), else the seed's catastrophizing, else the first."""
    for key in ((declared,) if declared else ()) + PRIMARY_CANDIDATES:
        for measure in found:
            if measure.key == key:
                return measure
    return found[0] if found else None


# -- enrolment flow -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Flow:
    applied: int
    excluded: dict[str, int]
    randomized: int
    allocated: dict[str, int]
    dropped_out: dict[str, int]
    with_post: dict[str, int]
    analysed: dict[str, int]


def enrolment_flow(dataset: TrialDataset) -> Flow:
    post = {s.code for s in dataset.scores if s.module_id == dataset.post_module}
    excluded = Counter(p.exclusion_reason or "other" for p in dataset.participants if p.status == "excluded")
    by_arm = {arm: dataset.randomized(arm) for arm in ARMS}
    return Flow(
        applied=len(dataset.participants),
        excluded=dict(excluded.most_common()),
        randomized=len(dataset.randomized()),
        allocated={arm: len(people) for arm, people in by_arm.items()},
        dropped_out={arm: sum(p.status == "dropped_out" for p in people) for arm, people in by_arm.items()},
        with_post={arm: sum(p.code in post for p in people) for arm, people in by_arm.items()},
        analysed={arm: len(people) for arm, people in by_arm.items()},  # intention to treat
    )


# -- Table II -------------------------------------------------------------------------------------
Cell = str


NOT_RECORDED = "not recorded"


def _fmt_mean_sd(values: Sequence[float]) -> Cell:
    found = mean_sd(values)
    return "–" if found is None else f"{found[0]:.1f} ({found[1]:.1f})"


def baseline_table(dataset: TrialDataset) -> list[tuple[str, Cell, Cell, Cell]]:
    """Table II: numbers as mean (SD), categories as % (n); several answers allowed where given."""
    groups = [dataset.randomized(), dataset.randomized("treatment"), dataset.randomized("control")]
    names: list[str] = []
    for person in groups[0]:
        names += [n for n in person.characteristics if n not in names]
    rows: list[tuple[str, Cell, Cell, Cell]] = []
    for name in names:
        values = [[p.characteristics.get(name) for p in group] for group in groups]
        flat = [v for v in values[0] if v is not None]
        if flat and all(isinstance(v, int | float) for v in flat):
            cells = [_fmt_mean_sd([float(v) for v in vs if v is not None]) for vs in values]
            rows.append((f"{name.replace('_', ' ')}, mean (SD)", *cells))  # type: ignore[arg-type]
            continue
        rows.append((f"{name.replace('_', ' ')}, % (n)", "", "", ""))
        categories: list[str] = []
        for v in flat:
            for c in v if isinstance(v, tuple) else (str(v),):
                if c not in categories:
                    categories.append(c)
        for category in categories:
            cells = []
            for vs in values:
                hits = sum(1 for v in vs if v is not None and category in (v if isinstance(v, tuple) else (str(v),)))
                cells.append(f"{100 * hits / len(vs):.1f} ({hits})" if vs else "–")
            rows.append((f"  {category}", *cells))  # type: ignore[arg-type]
    return rows


# -- Table III and the interaction --------------------------------------------------------------
@dataclass(frozen=True)
class PrePost:
    measure: Measure
    arm: Arm
    pre: tuple[float, float] | None
    post: tuple[float, float] | None
    n_pre: int
    n_post: int


def prepost_table(dataset: TrialDataset, found: Sequence[Measure]) -> list[PrePost]:
    """Observed means (SD) before and after, per measure and arm (Table III)."""
    rows = []
    for measure in found:
        pre = dataset.value_at(*measure.key, dataset.pre_module)
        post = dataset.value_at(*measure.key, dataset.post_module)
        for arm in ARMS:
            codes = [p.code for p in dataset.randomized(arm)]
            pre_values = [pre[c] for c in codes if c in pre]
            post_values = [post[c] for c in codes if c in post]
            rows.append(
                PrePost(measure, arm, mean_sd(pre_values), mean_sd(post_values), len(pre_values), len(post_values))
            )
    return rows


def imputed_pairs(
    dataset: TrialDataset, measure: Measure, method: Literal["locf", "bocf"]
) -> dict[Arm, tuple[list[float], list[float]]]:
    """Per arm, (pre, post) for everyone randomized with a baseline; a missing post carried forward."""
    series = dataset.series(*measure.key)
    post = dataset.value_at(*measure.key, dataset.post_module)
    pre = dataset.value_at(*measure.key, dataset.pre_module)
    pairs: dict[Arm, tuple[list[float], list[float]]] = {arm: ([], []) for arm in ARMS}
    for person in dataset.randomized():
        if person.code not in pre:
            continue
        during = [v for _, v in series.get(person.code, [])][1:]  # after the baseline
        if person.code in post:
            during = during[:-1]
        final = carried_forward([pre[person.code], *during, post.get(person.code)], method)
        if final is None:
            continue
        assert person.arm is not None
        pairs[person.arm][0].append(pre[person.code])
        pairs[person.arm][1].append(final)
    return pairs


def interaction_for(dataset: TrialDataset, measure: Measure, method: Literal["locf", "bocf"]) -> Interaction | None:
    pairs = imputed_pairs(dataset, measure, method)
    (pre_t, post_t), (pre_c, post_c) = pairs["treatment"], pairs["control"]
    if min(len(pre_t), len(pre_c)) < 2:
        return None
    return interaction(pre_t, post_t, pre_c, post_c)


# -- reliable change ------------------------------------------------------------------------------
SdSource = Literal["sample", "instrument"]
SENSITIVITY_RELIABILITIES = (0.7, 0.8, 0.9)


@dataclass(frozen=True)
class ReliableCounts:
    measure: Measure
    counts: dict[Arm, Counter[str]]
    n: dict[Arm, int]
    test: TwoByTwo | None
    sd: float | None = None  # the s₁ used
    reliability: float | None = None  # the r used
    sd_source: SdSource = "sample"


def baseline_sd(dataset: TrialDataset, measure: Measure) -> float | None:
    """The SD (n − 1) of the baseline scores of everyone randomized: the sample's own s₁."""
    pre = dataset.value_at(*measure.key, dataset.pre_module)
    found = mean_sd([pre[p.code] for p in dataset.randomized() if p.code in pre])
    return None if found is None or found[1] == 0 else found[1]


def reliable_counts(
    dataset: TrialDataset, measure: Measure, sd_source: SdSource = "sample", reliability: float | None = None
) -> ReliableCounts:
    """Jacobson–Truax categories per arm (post carried forward: a drop-out counts as unchanged).

    s₁ is the sample's baseline SD (``sd_source="sample"``, the default: the trial's own spread) or the
    instrument file's value; r is the file's unless ``reliability`` is given (the sensitivity table)."""
    sd = baseline_sd(dataset, measure) if sd_source == "sample" else measure.scale.sd
    r = reliability if reliability is not None else measure.scale.reliability
    pairs = imputed_pairs(dataset, measure, "locf")
    n = {arm: len(pairs[arm][0]) for arm in ARMS}
    counts: dict[Arm, Counter[str]] = {arm: Counter() for arm in ARMS}
    if sd is None or r is None:
        return ReliableCounts(measure, counts, n, None, sd, r, sd_source)
    for arm in ARMS:
        pre, post = pairs[arm]
        counts[arm] = Counter(
            reliable_change(a, b, sd, r, measure.scale.better).category for a, b in zip(pre, post, strict=True)
        )
    test = None
    if n["treatment"] and n["control"]:
        test = two_by_two(counts["treatment"]["improved"], n["treatment"], counts["control"]["improved"], n["control"])
    return ReliableCounts(measure, counts, n, test, sd, r, sd_source)


def reliability_sensitivity(
    dataset: TrialDataset, measure: Measure, sd_source: SdSource = "sample"
) -> list[ReliableCounts]:
    """The same counts with r = 0.7, 0.8 and 0.9: how much the answer leans on the assumed reliability."""
    return [reliable_counts(dataset, measure, sd_source, r) for r in SENSITIVITY_RELIABILITIES]


# -- adherence, therapist time, diaries ---------------------------------------------------------------
def module_completion(dataset: TrialDataset) -> list[tuple[str, int, int, int]]:
    """Per module: treated people, how many it opened for, how many completed it."""
    treated = len(dataset.randomized("treatment"))
    modules = sorted({(m.week, m.module_id) for m in dataset.modules})
    arm = dataset.arm_of()
    rows = []
    for _, module_id in modules:
        of = [m for m in dataset.modules if m.module_id == module_id and arm.get(m.code) == "treatment"]
        rows.append((module_id, treated, len(of), sum(m.completed_at is not None for m in of)))
    return rows


def all_modules_completed(dataset: TrialDataset) -> dict[Arm, int]:
    names = {m.module_id for m in dataset.modules}
    done: dict[str, set[str]] = {}
    for m in dataset.modules:
        if m.completed_at is not None:
            done.setdefault(m.code, set()).add(m.module_id)
    arm = dataset.arm_of()
    return {a: sum(1 for code, d in done.items() if arm.get(code) == a and names and d == names) for a in ARMS}


def therapist_time(dataset: TrialDataset) -> dict[Arm, tuple[str, str, float]]:
    """Per arm: minutes per participant mean (SD), contacts per participant mean (SD), total minutes.

    Only participants with recorded minutes count: a participant nobody recorded time for is not a
    measured zero ("not recorded" when an arm has none at all)."""
    result: dict[Arm, tuple[str, str, float]] = {}
    for arm in ARMS:
        codes = {p.code for p in dataset.randomized(arm)}
        minutes: dict[str, float] = {}
        contacts: dict[str, int] = {}
        for contact in dataset.contacts:
            if contact.code in codes:
                minutes[contact.code] = minutes.get(contact.code, 0.0) + contact.minutes
                contacts[contact.code] = contacts.get(contact.code, 0) + 1
        if not minutes:
            result[arm] = (NOT_RECORDED, NOT_RECORDED, 0.0)
            continue
        result[arm] = (
            _fmt_mean_sd(list(minutes.values())),
            _fmt_mean_sd([float(v) for v in contacts.values()]),
            sum(minutes.values()),
        )
    return result


def minutes_per_week(dataset: TrialDataset) -> dict[Arm, tuple[str, int]]:
    """Per arm: therapist minutes per participant and programme week, mean (SD), over the
    participant-weeks with recorded minutes (the seed's guidance took 10–15), and how many there were."""
    arm = dataset.arm_of()
    cells: dict[tuple[str, int], float] = {}
    for contact in dataset.contacts:
        if contact.week is not None and contact.code in arm:
            cells[(contact.code, contact.week)] = cells.get((contact.code, contact.week), 0.0) + contact.minutes
    result: dict[Arm, tuple[str, int]] = {}
    for a in ARMS:
        values = [m for (code, _), m in cells.items() if arm[code] == a]
        result[a] = (_fmt_mean_sd(values) if values else NOT_RECORDED, len(values))
    return result


def diary_trajectories(dataset: TrialDataset) -> dict[tuple[Arm, str], list[tuple[int, float]]]:
    """Mean daily average pain per arm, window and day of the window."""
    arm = dataset.arm_of()
    cells: dict[tuple[Arm, str, int], list[float]] = {}
    for entry in dataset.diary:
        if entry.code in arm and entry.average_pain is not None:
            cells.setdefault((arm[entry.code], entry.module_id, entry.day_index), []).append(entry.average_pain)
    result: dict[tuple[Arm, str], list[tuple[int, float]]] = {}
    for (a, window, day), values in sorted(cells.items()):
        result.setdefault((a, window), []).append((day, mean(values)))
    return result
