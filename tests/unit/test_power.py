"""Power from repeated simulated trials: hits over the runs that gave a p, failed runs counted apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from bot.cli import simulate_power
from bot.cli.simulate import SimulationRefused, parse_sizes
from bot.cli.simulate_power import RunOutcome, _one_for_power, power_points, scratch_folder
from bot.simulate.people import SimConfig


def test_failed_runs_are_counted_apart_per_trial_size() -> None:
    outcomes = [RunOutcome(30, 0.01), RunOutcome(30, 0.2), RunOutcome(30, None, "ValueError: broke"),
                RunOutcome(54, 0.001), RunOutcome(54, 0.04), RunOutcome(54, None)]  # fmt: skip
    small, large = power_points(outcomes)
    assert (small.participants, small.significant, small.counted, small.failed) == (30, 1, 2, 1)
    assert (large.participants, large.significant, large.counted, large.failed) == (54, 2, 2, 1)
    assert small.power == 0.5
    assert small.interval == pytest.approx(proportion_confint(1, 2, method="wilson"))


def test_a_run_that_breaks_comes_back_as_a_failed_run(tmp_path: Path) -> None:
    outcome = _one_for_power((tmp_path / "no-content", SimConfig(participants=2), False))
    assert outcome.p is None and outcome.error is not None and outcome.participants == 2
    assert power_points([outcome])[0].failed == 1


def test_sizes_are_whole_numbers_or_one_readable_line() -> None:
    assert parse_sizes("30, 54,80") == [30, 54, 80] and parse_sizes(None) is None
    with pytest.raises(SimulationRefused, match=r"--sizes 'a,3': give whole numbers of at least 2"):
        parse_sizes("a,3")


def test_a_runs_throw_away_file_goes_to_memory_when_it_has_room_and_no_tmpdir_was_set(tmp_path: Path,
                                                                                       monkeypatch) -> None:  # fmt: skip
    monkeypatch.delenv("TMPDIR", raising=False)
    assert scratch_folder(tmp_path) == str(tmp_path)
    assert scratch_folder(tmp_path / "missing") is None
    monkeypatch.setattr(simulate_power, "SCRATCH_FREE", 1 << 62)  # more than any disk has free
    assert scratch_folder(tmp_path) is None
    monkeypatch.undo()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "chosen"))
    assert scratch_folder(tmp_path) is None, "the user's TMPDIR wins"
