"""The simulator's behaviour comes from content/trial/simulation.yaml, calibrated against the seed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bot.errors import ContentError
from bot.measures import seed_paper
from bot.simulate.calibration import load_calibration
from bot.simulate.people import Person, SimConfig, decide_change, make_people

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_the_shipped_calibration_is_the_seeds_drop_out_and_primary_change() -> None:
    calibration = load_calibration(CONTENT)
    dropped = sum(seed_paper.DROPOUTS.values()) / (seed_paper.N_TREATMENT + seed_paper.N_CONTROL)
    assert calibration.dropout == pytest.approx(dropped, abs=0.001)
    row = seed_paper.TABLE_III[("csq", "catastrophizing")]
    change = calibration.primary_change
    assert change.treatment == pytest.approx(row.treatment_post[0] - row.treatment_pre[0])
    assert change.control == pytest.approx(row.control_post[0] - row.control_pre[0])
    implied = (change.control - change.treatment) / (math.sqrt(11.9) * math.sqrt(1 / 25 + 1 / 25))
    assert change.sd == pytest.approx(implied, abs=0.1)  # the SD of change the seed's F(1,48) = 11.9 implies


def test_options_given_on_the_command_line_win_over_the_file() -> None:
    config = SimConfig.calibrated(load_calibration(CONTENT), participants=10, seed=3, dropout=0.2, effect=None)
    assert (config.participants, config.seed, config.dropout, config.effect) == (10, 3, 0.2, 1.0)
    assert config.crossover_accept == 0.8 and config.primary_change == (-4.8, -0.4, 4.5)


def test_a_broken_calibration_file_is_one_line_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "trial").mkdir()
    (tmp_path / "trial" / "simulation.yaml").write_text("primary_change: {treatment: -4.8, control: 0, sd: -1}\n")
    with pytest.raises(ContentError) as caught:
        load_calibration(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path / 'trial' / 'simulation.yaml'}: primary_change.sd: Input should be greater than 0"
    ]


def test_simulated_primary_change_lands_near_the_seeds_per_arm() -> None:
    config = SimConfig.calibrated(load_calibration(CONTENT), participants=2000)
    rng = np.random.default_rng(5)
    changes: dict[str, list[float]] = {"treatment": [], "waiting_list": []}
    for index, arm in enumerate(["treatment", "waiting_list"] * 1000):
        person = Person(index, f"c{index}", 0.0, None, 0.8, None, {})
        person.arm = arm
        decide_change(person, config, rng)
        changes[arm].append(person.change[("csq", "catastrophizing")])
    assert np.mean(changes["treatment"]) == pytest.approx(-4.8, abs=0.4)
    assert np.mean(changes["waiting_list"]) == pytest.approx(-0.4, abs=0.4)
    assert np.std(changes["treatment"]) == pytest.approx(4.5, abs=0.3)
    takes = [p.takes_crossover for p in make_people(config, np.random.default_rng(2))]
    assert np.mean(takes) == pytest.approx(0.8, abs=0.05)
    dropping = [p.drop_week is not None for p in make_people(config, np.random.default_rng(3))]
    assert np.mean(dropping) == pytest.approx(0.074, abs=0.02)
