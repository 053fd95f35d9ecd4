"""Effect sizes with their 95 % confidence intervals, and Holm's adjustment across outcomes.

- ``between_d``: Cohen's d of two arms at one time point (pooled SD) and Hedges' g (d times the exact
  small-sample factor J), each with an exact 95 % CI found by inverting the noncentral t distribution
  of the two-sample t statistic (scipy.stats.nct), the interval a journal's statistician expects.
- ``within_d``: the standardised mean change of one arm, mean(post − pre) / SD(pre), with the CI of
  Becker (1988), which uses the pre–post correlation; its p is the paired t-test (scipy).
- ``holm``: Holm–Bonferroni adjusted p (statsmodels), for the secondary outcomes only: the primary
  outcome is tested once, at its own 5 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy import stats as sps
from scipy.special import gammaln
from statsmodels.stats.multitest import multipletests

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def text(self, digits: int = 2) -> str:
        return f"{self.value:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


@dataclass(frozen=True)
class Between:
    """Treatment minus control at one time point, standardised by the pooled SD."""

    d: Interval
    g: Interval
    n: tuple[int, int]
    t: float  # the two-sample t statistic (equal variances) the interval was built on


@dataclass(frozen=True)
class Within:
    """One arm's change, standardised by its baseline SD."""

    d: Interval
    n: int
    p: float  # paired t-test


def hedges_j(df: float) -> float:
    """The exact small-sample correction factor J(df) = Γ(df/2) / (√(df/2) Γ((df−1)/2))."""
    return math.exp(gammaln(df / 2) - gammaln((df - 1) / 2)) / math.sqrt(df / 2)


def _noncentrality_bounds(t: float, df: float, level: float = LEVEL) -> tuple[float, float]:
    """The noncentrality parameters whose noncentral t puts ``t`` at the upper and lower tail.

    Searched within a few large-sample SEs of ``t``; where the noncentral t cannot be evaluated there
    (very large t) the large-sample interval t ± z·√(1 + t²/2df) is returned instead."""
    tail = (1 - level) / 2
    z = float(sps.norm.ppf(1 - tail))
    spread = math.sqrt(1 + t**2 / (2 * df))
    span = 3 * z * spread + 1

    def root(target: float) -> float:
        return optimize.brentq(lambda nc: sps.nct.cdf(t, df, nc) - target, t - span, t + span, xtol=1e-10)

    try:
        return root(1 - tail), root(tail)
    except ValueError:
        return t - z * spread, t + z * spread


def between_d(treatment: Sequence[float], control: Sequence[float]) -> Between | None:
    """Cohen's d and Hedges' g (treatment − control) with exact CIs; None with fewer than 2 per arm."""
    a, b = np.asarray(treatment, dtype=float), np.asarray(control, dtype=float)
    n1, n2 = len(a), len(b)
    if min(n1, n2) < 2:
        return None
    df = n1 + n2 - 2
    pooled = math.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / df)
    if pooled == 0:
        return None
    d = (a.mean() - b.mean()) / pooled
    scale = math.sqrt(1 / n1 + 1 / n2)
    t = d / scale
    low_nc, high_nc = _noncentrality_bounds(t, df)
    j = hedges_j(df)
    d_interval = Interval(float(d), low_nc * scale, high_nc * scale)
    g_interval = Interval(j * d_interval.value, j * d_interval.low, j * d_interval.high)
    return Between(d_interval, g_interval, (n1, n2), float(t))


def within_d(pre: Sequence[float], post: Sequence[float], level: float = LEVEL) -> Within | None:
    """Standardised mean change (post − pre) / SD(pre) of paired values, with Becker's CI."""
    x, y = np.asarray(pre, dtype=float), np.asarray(post, dtype=float)
    n = len(x)
    if n < 3 or len(y) != n:
        return None
    sd = x.std(ddof=1)
    if sd == 0 or y.std(ddof=1) == 0:
        return None
    d = float((y - x).mean() / sd)
    r = float(np.corrcoef(x, y)[0, 1])
    se = math.sqrt(2 * (1 - r) / n + d**2 / (2 * n))
    z = float(sps.norm.ppf(1 - (1 - level) / 2))
    p = float(sps.ttest_rel(y, x).pvalue)
    return Within(Interval(d, d - z * se, d + z * se), n, p)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p values, in the order given (NaN stays NaN and is not counted)."""
    values = list(p_values)
    known = [i for i, p in enumerate(values) if not math.isnan(p)]
    adjusted = [math.nan] * len(values)
    if known:
        corrected = multipletests([values[i] for i in known], method="holm")[1]
        for i, p in zip(known, corrected, strict=True):
            adjusted[i] = float(p)
    return adjusted
