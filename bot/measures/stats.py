"""The trial's tests, computed by scipy and statsmodels (never hand-rolled formulas).

- ``two_by_two``: reliable improvement by arm — χ² without and with Yates' correction and Fisher's
  exact p, all three, because the seed printed a χ² (8.6) that matches none of them.
- ``interaction``: the group × time interaction of a 2 (arm) × 2 (pre/post) mixed design. With two
  time points it is exactly the one-way ANOVA of the change scores, F(1, n − 2); we fit it as an OLS
  of change on arm with statsmodels.
- ``carried_forward``: last observation / baseline carried forward for people who dropped out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats as sps
from statsmodels.stats.anova import anova_lm


@dataclass(frozen=True)
class TwoByTwo:
    table: tuple[tuple[int, int], tuple[int, int]]  # rows: arms; columns: improved, not improved
    chi2: float
    p_chi2: float
    chi2_yates: float
    p_yates: float
    fisher_p: float
    df: int = 1


def two_by_two(improved_a: int, n_a: int, improved_b: int, n_b: int) -> TwoByTwo:
    """Compare the share improved in arm a (``improved_a`` of ``n_a``) with arm b."""
    if not (0 <= improved_a <= n_a and 0 <= improved_b <= n_b) or n_a == 0 or n_b == 0:
        raise ValueError("counts must satisfy 0 <= improved <= n and n > 0")
    table = ((improved_a, n_a - improved_a), (improved_b, n_b - improved_b))
    fisher = sps.fisher_exact(np.array(table))
    if improved_a + improved_b in (0, n_a + n_b):
        # Nobody (or everybody) improved: χ² is undefined (an expected count of zero); Fisher's p is 1.
        nan = float("nan")
        return TwoByTwo(table, nan, nan, nan, nan, float(fisher.pvalue))
    plain = sps.chi2_contingency(np.array(table), correction=False)
    yates = sps.chi2_contingency(np.array(table), correction=True)
    return TwoByTwo(
        table=table,
        chi2=float(plain.statistic),
        p_chi2=float(plain.pvalue),
        chi2_yates=float(yates.statistic),
        p_yates=float(yates.pvalue),
        fisher_p=float(fisher.pvalue),
    )


@dataclass(frozen=True)
class Interaction:
    f: float
    df_effect: int
    df_error: int
    p: float
    n: int


def interaction(
    pre_a: Sequence[float], post_a: Sequence[float], pre_b: Sequence[float], post_b: Sequence[float]
) -> Interaction:
    """Group × time F for two arms measured before and after (complete pairs only)."""
    if len(pre_a) != len(post_a) or len(pre_b) != len(post_b):
        raise ValueError("each person needs a pre and a post value")
    if min(len(pre_a), len(pre_b)) < 2:
        raise ValueError("each arm needs at least two people")
    frame = pd.DataFrame(
        {
            "change": [b - a for a, b in zip(pre_a, post_a, strict=True)]
            + [b - a for a, b in zip(pre_b, post_b, strict=True)],
            "arm": ["a"] * len(pre_a) + ["b"] * len(pre_b),
        }
    )
    table = anova_lm(smf.ols("change ~ C(arm)", data=frame).fit())
    row = table.loc["C(arm)"]
    return Interaction(
        f=float(row["F"]),
        df_effect=int(row["df"]),
        df_error=int(table.loc["Residual", "df"]),
        p=float(row["PR(>F)"]),
        n=len(frame),
    )


def carried_forward(observations: Sequence[float | None], method: Literal["locf", "bocf"]) -> float | None:
    """The final value of one person's series (baseline first, in time order).

    Observed: that value. Missing: the last value observed (LOCF) or the baseline (BOCF).
    """
    if not observations:
        return None
    if observations[-1] is not None:
        return observations[-1]
    if method == "bocf":
        return observations[0]
    return next((value for value in reversed(observations) if value is not None), None)


def mean_sd(values: Sequence[float]) -> tuple[float, float] | None:
    """Mean and sample SD (n − 1), as Tables II and III print them; None for fewer than two values."""
    if len(values) < 2:
        return None
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1))
