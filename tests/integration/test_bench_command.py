"""``icbt bench --smoke --json FILE`` runs every benchmark from one command and writes exactly the
issue's keys, each a number. A real run (small loads), not a timed test: the figures are not judged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.suite import KEYS

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("ICBT_TEST_DATABASE_URL")


@pytest.mark.skipif(not PG, reason="the benchmark's PostgreSQL figures need ICBT_TEST_DATABASE_URL")
def test_bench_smoke_writes_exactly_the_issues_keys_as_numbers(tmp_path):
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.app", "bench", "--smoke", "--json", str(out), "--database-url", str(PG)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(figures) == sorted(KEYS)
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in figures.values()), figures
    assert "engine.sqlite / baseline" in done.stdout and "--smoke" in done.stdout, "the table is printed too"


def test_bench_without_a_postgresql_url_says_what_it_needs(monkeypatch):
    monkeypatch.delenv("ICBT_BENCH_POSTGRES_URL", raising=False)
    done = subprocess.run([sys.executable, "-m", "bot.cli.app", "bench", "--quick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "ICBT_BENCH_POSTGRES_URL": ""})  # fmt: skip
    assert done.returncode == 2
    assert "ICBT_BENCH_POSTGRES_URL" in done.stderr and "Traceback" not in done.stderr


def test_the_sweep_figure_is_the_median_of_its_runs_each_in_a_process_of_its_own():
    import asyncio

    from benchmarks.suite import sweeps

    summary = asyncio.run(sweeps(300, 3))
    assert len(summary["runs"]) == 3, "three processes, three times"
    assert summary["seconds"] == summary["runs"][1], "the median"
    assert summary["peak_pss_mb"] > 0 and summary["workers"] >= 0
