"""Every outcome's numbers for the report: Table III with effect sizes, the primary analysis, and its
sensitivity analyses, as plain values (rendering is in ``report_outcomes``).

Per measure: observed pre/post mean (SD) per arm, the within-group standardised change per arm, the
between-group Cohen's d and Hedges' g at post, the ITT mixed-model difference at post, the ANCOVA
difference for completers, and the seed's change-score F with LOCF and BOCF. The primary outcome is
tested once; every other measure's mixed-model p is Holm-adjusted across the secondary outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.measures import analysis as an
from bot.measures.analysis_effects import Between, Within, between_d, holm, within_d
from bot.measures.analysis_models import Estimate, ancova, mixed_model, post_frame
from bot.measures.dataset import Arm, TrialDataset
from bot.measures.stats import Interaction


@dataclass(frozen=True)
class Outcome:
    measure: an.Measure
    primary: bool
    prepost: dict[Arm, an.PrePost]
    within: dict[Arm, Within | None]
    between: Between | None  # at post, observed values
    mixed: Estimate | None  # ITT, all available data: the primary analysis
    completers: Estimate | None  # ANCOVA on baseline, arm and strata, post observed
    locf: Interaction | None  # the seed's analysis, replicated
    bocf: Interaction | None
    holm_p: float | None  # the mixed model's p adjusted across secondary outcomes; None for the primary


def outcomes(
    dataset: TrialDataset, found: Sequence[an.Measure], primary: an.Measure | None, strata: Sequence[str] = ()
) -> list[Outcome]:
    """Every measure's outcome row, the primary first."""
    ordered = ([primary] if primary else []) + [m for m in found if m != primary]
    table = {(row.measure.key, row.arm): row for row in an.prepost_table(dataset, ordered)}
    rows = []
    for measure in ordered:
        frame = post_frame(dataset, measure.key, strata)
        done = frame.dropna(subset=["post"])
        within = {arm: within_d(done[done.arm == arm]["pre"], done[done.arm == arm]["post"]) for arm in an.ARMS}
        between = between_d(done[done.arm == "treatment"]["post"], done[done.arm == "control"]["post"])
        rows.append(
            Outcome(
                measure=measure, primary=measure == primary,
                prepost={arm: table[(measure.key, arm)] for arm in an.ARMS},
                within=within, between=between,
                mixed=mixed_model(dataset, measure.key), completers=ancova(frame, strata),
                locf=an.interaction_for(dataset, measure, "locf"), bocf=an.interaction_for(dataset, measure, "bocf"),
                holm_p=None,
            )
        )  # fmt: skip
    secondary = [i for i, row in enumerate(rows) if not row.primary]
    adjusted = holm([rows[i].mixed.p if rows[i].mixed else math.nan for i in secondary])
    for i, p in zip(secondary, adjusted, strict=True):
        rows[i] = _with_holm(rows[i], p)
    return rows


def _with_holm(row: Outcome, p: float) -> Outcome:
    return replace(row, holm_p=None if math.isnan(p) else p)


def favours(outcome: Outcome, difference: float) -> str:
    """Which arm a treatment − control difference favours, by the scale's better direction."""
    if difference == 0:
        return "neither"
    lower_better = outcome.measure.scale.better == "lower"
    return "treatment" if (difference < 0) == lower_better else "control"
