"""The primary analysis and its effect sizes, each checked against scipy/statsmodels or by hand on fixed data."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from bot.measures.analysis_effects import between_d, hedges_j, holm, within_d
from bot.measures.analysis_models import ancova, long_frame, mixed_model, post_frame
from bot.measures.dataset import ParticipantRecord, ScoreRecord, TrialDataset

KEY = ("csq", "catastrophizing")
AT = {"baseline": 0, "week05": 30, "post": 70}


def dataset(people: dict[str, tuple[str, dict[str, float]]], gender: dict[str, str] | None = None) -> TrialDataset:
    participants, scores = [], []
    for code, (arm, values) in people.items():
        traits = {"gender": (gender or {}).get(code, "woman")}
        participants.append(ParticipantRecord(code, arm, "active", date(2026, 1, 5), characteristics=traits))  # type: ignore[arg-type]
        for module, value in values.items():
            at = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=AT[module])
            scores.append(ScoreRecord(code, "csq", module, "csq", "catastrophizing", value, None, 0, False, at))
    return TrialDataset(tuple(participants), scores=tuple(scores))


TREATED = [(14, 8), (20, 12), (9, 7), (17, 9), (12, 10), (22, 13)]
CONTROLS = [(13, 12), (18, 19), (8, 9), (15, 13), (11, 12), (21, 20)]


def fixed() -> TrialDataset:
    people = {f"T{i}": ("treatment", {"baseline": a, "post": b}) for i, (a, b) in enumerate(TREATED)}
    people |= {f"C{i}": ("control", {"baseline": a, "post": b}) for i, (a, b) in enumerate(CONTROLS)}
    return dataset(people)


def test_cohens_d_and_hedges_g_with_exact_intervals_agree_with_scipy() -> None:
    a = [9.5, 8.0, 12.0, 7.5, 10.0, 6.0, 11.0, 9.0]
    b = [12.0, 11.5, 14.0, 10.0, 13.5, 9.0, 12.5, 15.0, 11.0]
    found = between_d(a, b)
    assert found is not None
    pooled = math.sqrt((7 * np.var(a, ddof=1) + 8 * np.var(b, ddof=1)) / 15)
    assert found.d.value == pytest.approx((np.mean(a) - np.mean(b)) / pooled, rel=1e-12)
    assert found.t == pytest.approx(sps.ttest_ind(a, b).statistic, rel=1e-10)
    scale = math.sqrt(1 / 8 + 1 / 9)  # the bounds put the observed t at the 97.5th and 2.5th percentile
    assert sps.nct.cdf(found.t, 15, found.d.low / scale) == pytest.approx(0.975, abs=1e-8)
    assert sps.nct.cdf(found.t, 15, found.d.high / scale) == pytest.approx(0.025, abs=1e-8)
    assert hedges_j(15) == pytest.approx(1 - 3 / (4 * 15 - 1), abs=5e-4)
    assert found.g.value == pytest.approx(hedges_j(15) * found.d.value)
    assert abs(found.g.value) < abs(found.d.value)


def test_the_exact_interval_of_d_is_near_the_large_sample_one() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.5, 1, 200), rng.normal(0, 1, 200)
    found = between_d(a, b)
    assert found is not None
    d = found.d.value
    se = math.sqrt(2 / 200 + d**2 / 800)  # Hedges & Olkin's normal approximation
    assert found.d.low == pytest.approx(d - 1.96 * se, abs=0.01)
    assert found.d.high == pytest.approx(d + 1.96 * se, abs=0.01)


def test_within_group_change_standardised_by_baseline_sd_with_paired_t() -> None:
    pre = [a for a, _ in TREATED]
    post = [b for _, b in TREATED]
    found = within_d(pre, post)
    assert found is not None
    d = (np.mean(post) - np.mean(pre)) / np.std(pre, ddof=1)
    r = np.corrcoef(pre, post)[0, 1]
    se = math.sqrt(2 * (1 - r) / 6 + d**2 / 12)
    assert (found.d.value, found.d.low, found.d.high) == pytest.approx((d, d - 1.959964 * se, d + 1.959964 * se))
    assert found.p == pytest.approx(sps.ttest_rel(post, pre).pvalue)


def test_holm_adjusts_in_the_given_order_like_statsmodels() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    raw = [0.001, 0.2, 0.049, 0.012, 0.5]
    assert holm(raw) == pytest.approx(list(multipletests(raw, method="holm")[1]))
    with_gap = holm([0.01, math.nan, 0.02])
    assert with_gap[0] == pytest.approx(0.02) and math.isnan(with_gap[1]) and with_gap[2] == pytest.approx(0.02)


def test_ancova_is_the_arm_coefficient_of_post_on_baseline_and_arm() -> None:
    frame = post_frame(fixed(), KEY)
    found = ancova(frame)
    assert found is not None
    design = np.column_stack([np.ones(12), frame["pre"], (frame["arm"] == "treatment").astype(float)])
    coefficients = np.linalg.lstsq(design, frame["post"].to_numpy(), rcond=None)[0]
    assert found.difference == pytest.approx(coefficients[2], rel=1e-9)
    assert found.low < found.difference < found.high and found.p < 0.05 and found.people == 12


def test_ancova_adds_the_randomisation_strata_and_drops_people_without_post() -> None:
    people = {f"T{i}": ("treatment", {"baseline": a, "post": b}) for i, (a, b) in enumerate(TREATED)}
    people |= {f"C{i}": ("control", {"baseline": a, "post": b}) for i, (a, b) in enumerate(CONTROLS)}
    people["T9"] = ("treatment", {"baseline": 30})  # dropped out: no post
    gender = {code: ("man" if i % 3 == 0 else "woman") for i, code in enumerate(people)}
    frame = post_frame(dataset(people, gender), KEY, strata=["sex"])
    found = ancova(frame, strata=["sex"])
    assert found is not None and found.people == 12 and "C(stratum_sex)" in found.model
    done = frame.dropna(subset=["post"])
    design = np.column_stack([np.ones(12), done["pre"], (done["arm"] == "treatment").astype(float),
                              (done["stratum_sex"] == "woman").astype(float)])  # fmt: skip
    assert found.difference == pytest.approx(np.linalg.lstsq(design, done["post"].to_numpy(), rcond=None)[0][2])


def test_mixed_model_on_complete_pre_post_data_is_the_difference_in_mean_change() -> None:
    found = mixed_model(fixed(), KEY)
    assert found is not None
    change_t = np.mean([b - a for a, b in TREATED])
    change_c = np.mean([b - a for a, b in CONTROLS])
    assert found.difference == pytest.approx(change_t - change_c, abs=1e-6)
    assert found.low < found.difference < found.high and found.p < 0.05 and (found.people, found.rows) == (12, 24)


def test_mixed_model_keeps_everyone_with_a_baseline_and_the_shared_time_points() -> None:
    people = {
        f"T{i}": ("treatment", {"baseline": a, "week05": (a + b) / 2, "post": b}) for i, (a, b) in enumerate(TREATED)
    }
    people |= {
        f"C{i}": ("control", {"baseline": a, "week05": (a + b) / 2, "post": b}) for i, (a, b) in enumerate(CONTROLS)
    }
    people["T0"] = ("treatment", {"baseline": 14, "week05": 11})  # dropped out before post: still analysed
    people["C9"] = ("control", {"post": 12})  # no baseline: not analysed
    data = dataset(people)
    frame = long_frame(data, KEY)
    assert set(frame["time"]) == {"baseline", "week05", "post"} and "C9" not in set(frame["code"])
    found = mixed_model(data, KEY)
    assert found is not None and found.people == 12 and found.rows == 35
    assert found.difference < 0 and found.p < 0.05
