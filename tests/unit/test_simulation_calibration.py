"""The simulator's behaviour comes from content/trial/simulation.yaml, calibrated against the seed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bot.content.loader import load_programme
from bot.errors import ContentError
from bot.measures import seed_paper
from bot.measures.scoring import score
from bot.simulate.calibration import load_calibration
from bot.simulate.people import SimConfig, administer, decide_change, make_people

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_the_shipped_calibration_is_the_seeds_drop_out() -> None:
    calibration = load_calibration(CONTENT)
    dropped = sum(seed_paper.DROPOUTS.values()) / (seed_paper.N_TREATMENT + seed_paper.N_CONTROL)
    assert calibration.dropout == pytest.approx(dropped, abs=0.001)


def test_options_given_on_the_command_line_win_over_the_file() -> None:
    config = SimConfig.calibrated(load_calibration(CONTENT), participants=10, seed=3, dropout=0.2, effect=None)
    assert (config.participants, config.seed, config.dropout, config.effect) == (10, 3, 0.2, 1.0)
    assert config.crossover_accept == 0.8 and config.primary_change == (-6.0, -0.6, 4.2)


def test_a_broken_calibration_file_is_one_line_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "trial").mkdir()
    (tmp_path / "trial" / "simulation.yaml").write_text("primary_change: {treatment: -4.8, control: 0, sd: -1}\n")
    with pytest.raises(ContentError) as caught:
        load_calibration(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path / 'trial' / 'simulation.yaml'}: primary_change.sd: Input should be greater than 0"
    ]


def test_the_observed_primary_change_lands_on_the_seeds_per_arm() -> None:
    """The baseline is answered before the draw, the post after it, item by item and scored as the bot
    scores them: the observed changes and their standardised difference are the seed's (Table III and
    its F(1,48) = 11.9), though the floor of the scale makes them smaller than the latent ones."""
    config = SimConfig.calibrated(load_calibration(CONTENT), participants=2000, excluded=0)
    instrument = load_programme(CONTENT).instruments["csq_catastrophizing"]
    rng = np.random.default_rng(5)
    changes: dict[str, list[float]] = {"treatment": [], "waiting_list": []}
    for index, person in enumerate(make_people(config, rng)):
        before = score(instrument, administer(person, instrument, ("baseline", "csq", ""), 0.0, rng)).total
        person.arm = "waiting_list" if index % 2 else "treatment"
        decide_change(person, config, rng)
        after = score(instrument, administer(person, instrument, ("post", "csq", ""), 1.0, rng)).total
        changes[person.arm].append(after - before)
    row = seed_paper.TABLE_III[("csq", "catastrophizing")]
    assert np.mean(changes["treatment"]) == pytest.approx(row.treatment_post[0] - row.treatment_pre[0], abs=0.3)
    assert np.mean(changes["waiting_list"]) == pytest.approx(row.control_post[0] - row.control_pre[0], abs=0.3)
    pooled = math.sqrt((np.var(changes["treatment"], ddof=1) + np.var(changes["waiting_list"], ddof=1)) / 2)
    standardised = (np.mean(changes["waiting_list"]) - np.mean(changes["treatment"])) / pooled
    assert standardised == pytest.approx(math.sqrt(11.9) * math.sqrt(1 / 25 + 1 / 25), abs=0.08)
    takes = [p.takes_crossover for p in make_people(config, np.random.default_rng(2))]
    assert np.mean(takes) == pytest.approx(0.8, abs=0.05)
    dropping = [p.drop_week is not None for p in make_people(config, np.random.default_rng(3))]
    assert np.mean(dropping) == pytest.approx(0.074, abs=0.02)
