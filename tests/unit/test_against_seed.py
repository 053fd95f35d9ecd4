"""The figures a simulated trial is calibrated against, from the seed's tables and from a dataset."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.measures.dataset import ParticipantRecord, ScoreRecord, TrialDataset
from bot.simulate.against_seed import figures, seed_figures, summary

KEY = ("csq_catastrophizing", "catastrophizing")
AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_seed_figures_follow_from_table_iii_and_its_f() -> None:
    seed = seed_figures()
    assert seed.change_treatment == pytest.approx(-4.8) and seed.change_control == pytest.approx(-0.4)
    assert seed.d_change == pytest.approx(0.98, abs=0.005)  # as content/trial/simulation.yaml derives it
    assert seed.d_post == pytest.approx((11.6 - 9.5) / 7.0, abs=0.01)
    assert seed.dropout == pytest.approx(4 / 54)


def score(code: str, module: str, value: float) -> ScoreRecord:
    return ScoreRecord(code, KEY[0], module, "q", KEY[1], value, None, 0, False, AT)


def test_figures_of_a_dataset_use_post_scores_changes_and_who_has_no_post() -> None:
    people = [ParticipantRecord(f"P-{n}", arm, "active", date(2026, 1, 5))
              for n, arm in enumerate(["treatment"] * 3 + ["control"] * 3)]  # fmt: skip
    pre = {"P-0": 14, "P-1": 16, "P-2": 12, "P-3": 12, "P-4": 10, "P-5": 14}
    post = {"P-0": 8, "P-1": 12, "P-3": 12, "P-4": 8, "P-5": 13}  # P-2 (treatment) has no post score
    scores = [score(c, "baseline", v) for c, v in pre.items()] + [score(c, "post", v) for c, v in post.items()]
    found = figures(TrialDataset(tuple(people), scores=tuple(scores)), KEY)
    assert found.change_treatment == pytest.approx(-5.0) and found.change_control == pytest.approx(-1.0)
    assert found.dropout == pytest.approx(1 / 6)
    # post: treated 8, 12 (mean 10, SD 2.83); control 12, 8, 13 (mean 11, SD 2.65); pooled SD 2.70
    assert found.d_post == pytest.approx(1 / 2.70, abs=0.01)
    # change: treated -6, -4 (SD 1.41); control 0, -2, -1 (SD 1); pooled SD 1.15
    assert found.d_change == pytest.approx(4 / 1.155, abs=0.01)
    line = summary([found, found])
    assert "Cohen's d at post 0.37 (SD 0.00) [0.30]" in line and "drop-out 16.67 (SD 0.00) % [7.4 %]" in line
