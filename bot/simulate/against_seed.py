"""How close simulated trials come to the seed trial: the figures ``content/trial/simulation.yaml`` is
calibrated against, computed the same way from a simulated dataset and from the seed's Table III.

On the primary outcome (catastrophizing): the between-group Cohen's d at post (observed post scores,
pooled SD), each arm's mean within-person change from baseline to post, and the standardised
difference in change (difference of mean changes over the pooled SD of change; the seed's follows
from its group x time F(1,48) = 11.9); and the drop-out: the share of the randomized without a post
score on the primary outcome (the seed: 4 of 54). ``icbt simulate --runs K`` prints their means over
the runs beside the seed's, so a change to the calibration can be checked in one command.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.measures.dataset import TrialDataset
from bot.measures.seed_paper import DROPOUTS, N_CONTROL, N_TREATMENT, PRINTED_F, TABLE_III
from bot.measures.stats import mean_sd

SEED_PRIMARY = ("csq", "catastrophizing")  # Table III's row of the primary outcome


@dataclass(frozen=True)
class Figures:
    d_post: float | None  # between-group Cohen's d at post, positive when the treated score lower (better)
    change_treatment: float | None  # mean change from baseline to post (negative: fewer catastrophizing thoughts)
    change_control: float | None
    d_change: float | None  # standardised difference in change, positive when the treated improved more
    dropout: float  # share of the randomized without a post score on the primary outcome


def _pooled(a: tuple[float, float], na: int, b: tuple[float, float], nb: int) -> float:
    return math.sqrt(((na - 1) * a[1] ** 2 + (nb - 1) * b[1] ** 2) / (na + nb - 2))


def seed_figures() -> Figures:
    """The seed's own figures, from its Table III, its F for group x time and its drop-outs."""
    row = TABLE_III[SEED_PRIMARY]
    d_post = (row.control_post[0] - row.treatment_post[0]) / _pooled(
        row.treatment_post, N_TREATMENT, row.control_post, N_CONTROL
    )
    f = next(f for f in PRINTED_F if f.what.startswith("CSQ catastrophizing"))
    n_t, n_c = N_TREATMENT - DROPOUTS["treatment"], N_CONTROL - DROPOUTS["control"]  # with post data (df 48)
    d_change = math.sqrt(f.f) * math.sqrt(1 / n_t + 1 / n_c)
    return Figures(
        d_post=d_post,
        change_treatment=row.treatment_post[0] - row.treatment_pre[0],
        change_control=row.control_post[0] - row.control_pre[0],
        d_change=d_change,
        dropout=sum(DROPOUTS.values()) / (N_TREATMENT + N_CONTROL),
    )


def figures(dataset: TrialDataset, key: tuple[str, str]) -> Figures:
    """The same figures from one (simulated) trial, on the primary outcome ``key``."""
    pre = dataset.value_at(*key, dataset.pre_module)
    post = dataset.value_at(*key, dataset.post_module)
    codes = {arm: [p.code for p in dataset.randomized(arm)] for arm in ("treatment", "control")}
    at_post = {arm: [post[c] for c in people if c in post] for arm, people in codes.items()}
    change = {arm: [post[c] - pre[c] for c in people if c in post and c in pre] for arm, people in codes.items()}
    t_post, c_post = mean_sd(at_post["treatment"]), mean_sd(at_post["control"])
    t_change, c_change = mean_sd(change["treatment"]), mean_sd(change["control"])
    d_post = d_change = None
    if t_post and c_post:
        sd = _pooled(t_post, len(at_post["treatment"]), c_post, len(at_post["control"]))
        d_post = (c_post[0] - t_post[0]) / sd if sd else None
    if t_change and c_change:
        sd = _pooled(t_change, len(change["treatment"]), c_change, len(change["control"]))
        d_change = (c_change[0] - t_change[0]) / sd if sd else None
    randomized = sum(len(people) for people in codes.values())
    missing = sum(1 for people in codes.values() for c in people if c not in post)
    return Figures(
        d_post=d_post,
        change_treatment=t_change[0] if t_change else None,
        change_control=c_change[0] if c_change else None,
        d_change=d_change,
        dropout=missing / randomized if randomized else 0.0,
    )


def _mean(values: Sequence[float | None]) -> str:
    found = [v for v in values if v is not None]
    if not found:
        return "–"
    if len(found) == 1:
        return f"{found[0]:.2f}"
    return f"{float(np.mean(found)):.2f} (SD {float(np.std(found, ddof=1)):.2f})"


def summary(runs: Sequence[Figures]) -> str:
    """One line: the runs' mean figures beside the seed's."""
    seed = seed_figures()
    return (
        f"against the seed ({len(runs)} runs, mean (SD) over runs; seed in brackets): "
        f"Cohen's d at post {_mean([r.d_post for r in runs])} [{seed.d_post:.2f}], "
        f"change treatment {_mean([r.change_treatment for r in runs])} [{seed.change_treatment:.1f}], "
        f"change waiting list {_mean([r.change_control for r in runs])} [{seed.change_control:.1f}], "
        f"standardised difference in change {_mean([r.d_change for r in runs])} [{seed.d_change:.2f}], "
        f"drop-out {_mean([100 * r.dropout for r in runs])} % [{100 * seed.dropout:.1f} %]"
    )
