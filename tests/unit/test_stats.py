"""Reliable change on a worked example; the trial's tests on the seed's counts and on a fixture."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps
from statsmodels.stats.anova import anova_lm

from bot.content.programme import Programme
from bot.measures.reliable_change import for_scale, reliable_change
from bot.measures.stats import carried_forward, interaction, mean_sd, two_by_two


def test_reliable_change_worked_example() -> None:
    # s1 = 7.3, r = 0.80: SE = 7.3 * sqrt(0.2) = 3.2647, S_diff = sqrt(2) * 3.2647 = 4.6169
    # 20 -> 10 on a lower-is-better scale: RC = -10 / 4.6169 = -2.166, a reliable improvement.
    result = reliable_change(20, 10, sd=7.3, reliability=0.8, better="lower")
    assert result.se == pytest.approx(3.2647, abs=1e-4)
    assert result.s_diff == pytest.approx(4.6169, abs=1e-4)
    assert result.rc == pytest.approx(-2.1659, abs=1e-4)
    assert result.category == "improved" and result.improved
    assert (result.sd, result.reliability) == (7.3, 0.8)  # reported with the result


def test_reliable_change_threshold_and_direction() -> None:
    s_diff = math.sqrt(2) * 7.3 * math.sqrt(0.2)
    just_below = reliable_change(20, 20 - 1.95 * s_diff, 7.3, 0.8)
    just_above = reliable_change(20, 20 - 1.97 * s_diff, 7.3, 0.8)
    assert just_below.category == "no reliable change"
    assert just_above.category == "improved"
    assert reliable_change(10, 20, 7.3, 0.8, better="lower").category == "deteriorated"
    assert reliable_change(10, 20, 7.3, 0.8, better="higher").category == "improved"
    assert reliable_change(1.8, -1.0, 1.45, 0.8, better="higher").category == "deteriorated"
    with pytest.raises(ValueError, match="0 < r < 1"):
        reliable_change(1, 2, 7.3, 1.0)


def test_reliable_change_takes_sd_r_and_direction_from_the_instrument(programme: Programme) -> None:
    qoli = programme.instruments["qoli"].total_scale
    assert qoli is not None
    result = for_scale(qoli, -1.0, 2.0)  # higher QOLI is better
    assert result.better == "higher" and result.improved
    assert (result.sd, result.reliability) == (qoli.sd, qoli.reliability)


def test_seed_counts_give_the_three_tests_and_not_the_papers_8_6() -> None:
    result = two_by_two(15, 26, 5, 28)
    assert result.table == ((15, 11), (5, 23))
    assert round(result.chi2, 2) == 9.17
    assert round(result.chi2_yates, 2) == 7.55
    assert round(result.fisher_p, 4) == 0.0043
    assert result.df == 1
    assert round(result.chi2, 1) != 8.6 and round(result.chi2_yates, 1) != 8.6


def test_two_by_two_with_nobody_improved_gives_no_chi_square_but_fisher_p_1() -> None:
    result = two_by_two(0, 26, 0, 28)
    assert math.isnan(result.chi2) and math.isnan(result.chi2_yates)
    assert result.fisher_p == 1.0


def test_two_by_two_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="counts"):
        two_by_two(27, 26, 5, 28)


# Fixture: two arms of six, pre and post (made-up numbers).
PRE_A = [14.0, 20.0, 9.0, 17.0, 12.0, 22.0]
POST_A = [8.0, 11.0, 7.0, 10.0, 9.0, 15.0]
PRE_B = [13.0, 18.0, 10.0, 16.0, 11.0, 21.0]
POST_B = [12.0, 19.0, 9.0, 13.0, 12.0, 20.0]


def test_interaction_is_the_one_way_anova_on_change_scores() -> None:
    result = interaction(PRE_A, POST_A, PRE_B, POST_B)
    change_a = [b - a for a, b in zip(PRE_A, POST_A, strict=True)]
    change_b = [b - a for a, b in zip(PRE_B, POST_B, strict=True)]
    oneway = sps.f_oneway(change_a, change_b)
    assert result.f == pytest.approx(float(oneway.statistic))
    assert result.p == pytest.approx(float(oneway.pvalue))
    assert (result.df_effect, result.df_error, result.n) == (1, 10, 12)


def test_interaction_matches_the_mixed_design_fitted_in_long_format() -> None:
    rows = []
    for arm, pres, posts in (("a", PRE_A, POST_A), ("b", PRE_B, POST_B)):
        for index, (pre, post) in enumerate(zip(pres, posts, strict=True)):
            rows.append({"subject": f"{arm}{index}", "g": int(arm == "a"), "t": 0, "value": pre})
            rows.append({"subject": f"{arm}{index}", "g": int(arm == "a"), "t": 1, "value": post})
    long = pd.DataFrame(rows)
    # Subjects as fixed effects absorb the between-person error: the group:time term is tested
    # against the within-person error, as in a mixed ANOVA.
    fit = smf.ols("value ~ C(subject) + t + t:g", data=long).fit()
    table = anova_lm(fit, typ=2)
    expected = table.loc["t:g"]
    result = interaction(PRE_A, POST_A, PRE_B, POST_B)
    assert result.f == pytest.approx(float(expected["F"]))
    assert result.p == pytest.approx(float(expected["PR(>F)"]))
    assert result.df_error == int(table.loc["Residual", "df"])


def test_interaction_needs_pairs_and_two_people_per_arm() -> None:
    with pytest.raises(ValueError, match="pre and a post"):
        interaction([1.0, 2.0], [1.0], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="two people"):
        interaction([1.0], [1.0], [1.0, 2.0], [1.0, 2.0])


def test_last_and_baseline_observation_carried_forward() -> None:
    assert carried_forward([10.0, 8.0, 6.0], "locf") == 6.0  # observed: kept
    assert carried_forward([10.0, 8.0, None], "locf") == 8.0  # mid-treatment value carried
    assert carried_forward([10.0, 8.0, None], "bocf") == 10.0  # baseline carried
    assert carried_forward([10.0, None], "locf") == 10.0
    assert carried_forward([None, None], "locf") is None
    assert carried_forward([], "bocf") is None


def test_mean_sd_uses_the_sample_sd() -> None:
    assert mean_sd([2.0, 4.0, 6.0]) == (4.0, 2.0)
    assert mean_sd([1.0]) is None
