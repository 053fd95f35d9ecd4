"""The primary analysis as trials report it today, on one measure (statsmodels).

- ``mixed_model``: intention to treat with all available data. Every randomized person with a
  baseline score, every administration they answered (baseline, the symptom checks both arms share,
  post), in a linear mixed model ``value ~ time × arm`` with a random intercept per person (REML).
  The treatment effect is the time[post] × arm coefficient: the difference between the arms' change
  from baseline to post, valid under missing at random, without carrying anything forward.
- ``ancova``: post on baseline and arm (and the randomisation strata) for the completers, the people
  with an observed post score; the sensitivity analysis.
Both give treatment − control on the scale's own units with a 95 % CI and p.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from bot.measures.dataset import TrialDataset

ARM_TERM = "C(arm, Treatment('control'))[T.treatment]"
# A stratum named in trial.yaml -> the characteristic the dataset carries for it.
STRATUM_CHARACTERISTICS = {"sex": "gender"}


@dataclass(frozen=True)
class Estimate:
    """Treatment minus control with its 95 % CI and p, and how many people and rows it used."""

    difference: float
    low: float
    high: float
    p: float
    people: int
    rows: int
    model: str  # the formula as fitted, printed in the report's methods

    def text(self, digits: int = 2) -> str:
        return f"{self.difference:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def post_frame(dataset: TrialDataset, key: tuple[str, str], strata: Sequence[str] = ()) -> pd.DataFrame:
    """One row per randomized person with a baseline: pre, post (NaN if missing), arm, strata."""
    pre = dataset.value_at(*key, dataset.pre_module)
    post = dataset.value_at(*key, dataset.post_module)
    rows = []
    for person in dataset.randomized():
        if person.code not in pre:
            continue
        row = {"code": person.code, "arm": person.arm, "pre": pre[person.code], "post": post.get(person.code, math.nan)}
        for name in strata:
            value = person.characteristics.get(STRATUM_CHARACTERISTICS.get(name, name))
            row[f"stratum_{name}"] = str(value) if value is not None else "unknown"
        rows.append(row)
    return pd.DataFrame(rows, columns=["code", "arm", "pre", "post", *[f"stratum_{s}" for s in strata]])


def ancova(frame: pd.DataFrame, strata: Sequence[str] = ()) -> Estimate | None:
    """OLS of post on pre, arm and strata over the people with a post score (completers)."""
    done = frame.dropna(subset=["post"])
    if min((done["arm"] == arm).sum() for arm in ("treatment", "control")) < 2:
        return None
    terms = ["pre", "C(arm, Treatment('control'))"]
    terms += [f"C(stratum_{s})" for s in strata if done[f"stratum_{s}"].nunique() > 1]
    formula = "post ~ " + " + ".join(terms)
    fit = smf.ols(formula, data=done).fit()
    if ARM_TERM not in fit.params or not np.isfinite(fit.bse[ARM_TERM]):
        return None
    low, high = fit.conf_int().loc[ARM_TERM]
    return Estimate(float(fit.params[ARM_TERM]), float(low), float(high), float(fit.pvalues[ARM_TERM]),
                    len(done), len(done), formula)  # fmt: skip


def long_frame(dataset: TrialDataset, key: tuple[str, str]) -> pd.DataFrame:
    """Every observed score of the measure for randomized people with a baseline, one row each,
    at the administrations both arms have (at least two people per arm)."""
    arm = dataset.arm_of()
    pre = dataset.value_at(*key, dataset.pre_module)
    rows = [
        {"code": s.code, "arm": arm[s.code], "time": s.module_id, "value": s.value}
        for s in dataset.scores
        if (s.instrument, s.scale) == key and s.value is not None and s.code in arm and s.code in pre
    ]
    frame = pd.DataFrame(rows, columns=["code", "arm", "time", "value"]).drop_duplicates(["code", "time"], keep="last")
    counts = frame.groupby(["time", "arm"])["code"].nunique().unstack(fill_value=0)
    shared = [
        t for t in counts.index if all(counts.get(a, pd.Series()).get(t, 0) >= 2 for a in ("treatment", "control"))
    ]
    return frame[frame["time"].isin(shared)]


def mixed_model(dataset: TrialDataset, key: tuple[str, str]) -> Estimate | None:
    """The ITT treatment effect at post from a random-intercept mixed model over all time points."""
    frame = long_frame(dataset, key)
    if dataset.post_module not in set(frame["time"]) or dataset.pre_module not in set(frame["time"]):
        return None
    time = f"C(time, Treatment('{dataset.pre_module}'))"
    formula = f"value ~ {time} * C(arm, Treatment('control'))"
    term = f"{time}[T.{dataset.post_module}]:{ARM_TERM}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes go to the report as a missing estimate instead
        try:
            fit = smf.mixedlm(formula, data=frame, groups=frame["code"]).fit(reml=True)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if term not in fit.params or not np.isfinite(fit.bse[term]):
        return None
    low, high = fit.conf_int().loc[term]
    return Estimate(float(fit.params[term]), float(low), float(high), float(fit.pvalues[term]),
                    int(frame["code"].nunique()), len(frame), formula + " + (1 | person)")  # fmt: skip
