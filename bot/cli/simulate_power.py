"""``icbt simulate --runs K``: K simulated trials per trial size in worker processes, for power.

Each run writes into its own temporary SQLite file (in memory where it can, ``scratch_folder``), then
the primary analysis (the ITT mixed model) is run on it; a run that fails or gives no p is counted as
failed and shown. Apart from the single run (``bot/cli/simulate.py``) so that one simulated trial does
not load the statistics libraries.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bot.cli.simulate import one_trial, progress_bar
from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.measures.analysis import measures, primary_measure
from bot.measures.analysis_models import mixed_model
from bot.measures.dataset import TrialDataset
from bot.measures.db_loader import load_dataset
from bot.measures.power import ALPHA, PowerPoint
from bot.measures.report import build_report
from bot.settings import Settings
from bot.simulate.against_seed import Figures, figures, summary
from bot.simulate.overlay import simulated_programme
from bot.simulate.people import SimConfig
from bot.storage.database import Database


@dataclass(frozen=True)
class RunOutcome:
    """One repeated trial: its size, the primary analysis's p (None: not computable), or why it failed."""

    participants: int
    p: float | None
    error: str | None = None
    dataset: TrialDataset | None = None  # kept for the report from the first run only
    figures: Figures | None = None  # the primary outcome's effect sizes and the drop-out, against the seed's


def _one_for_power(job: tuple[Path, SimConfig, bool]) -> RunOutcome:
    """A worker process's job: one trial into its own temporary SQLite file, then its primary analysis."""
    content, config, keep = job
    try:
        programme, simulated = _programmes(content)
        with tempfile.TemporaryDirectory(prefix="icbt-power-", dir=scratch_folder()) as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'run.sqlite3'}"
            # A run kept for the report goes to the end (the crossover is in it); the others stop
            # once nothing later can change the primary analysis.
            asyncio.run(one_trial(url, content, config, Console(quiet=True), simulated, until_primary=not keep))
            dataset = asyncio.run(_load(url, programme))
        found = measures(dataset, programme.instruments)
        declared = programme.trial.primary_outcome if programme.trial else None
        primary = primary_measure(found, (declared.instrument, declared.scale) if declared else None)
        result = mixed_model(dataset, primary.key) if primary is not None else None
        found = figures(dataset, primary.key) if primary is not None else None
        return RunOutcome(config.participants, None if result is None else result.p, None, dataset if keep else None,
                          found)  # fmt: skip
    except Exception as exc:  # a failed run is counted and shown, never dropped
        return RunOutcome(config.participants, None, f"{exc.__class__.__name__}: {exc}")


SHARED_MEMORY = Path("/dev/shm")
SCRATCH_FREE = 1 << 30  # a run's file is about 75 MB at N = 54; leave room for larger trials and the WAL


def scratch_folder(memory: Path = SHARED_MEMORY) -> str | None:
    """Where a run's throw-away SQLite file goes: memory (``/dev/shm``) when it has a GiB free and the
    user set no ``TMPDIR``, else the system's temporary folder (None). A run writes about a gigabyte
    through SQLite's write-ahead log; on a disk that is I/O for a file deleted a minute later."""
    if os.environ.get("TMPDIR"):
        return None
    try:
        usable = memory.is_dir() and os.access(memory, os.W_OK) and shutil.disk_usage(memory).free >= SCRATCH_FREE
    except OSError:
        usable = False
    return str(memory) if usable else None


@functools.cache
def _programmes(content: Path) -> tuple[Programme, Programme]:
    """The content as the analysis reads it and as the simulator gives it (with the made-up wording),
    loaded once per worker process: loading (and compiling the safety rules) costs seconds per run."""
    plain = load_programme(content)
    with tempfile.TemporaryDirectory(prefix="icbt-sim-site-") as folder:
        return plain, simulated_programme(content, Path(folder), plain)


async def _load(url: str, programme: Programme) -> TrialDataset:
    db = Database(url)
    try:
        return await load_dataset(db, programme)
    finally:
        await db.dispose()


def power_points(outcomes: list[RunOutcome]) -> list[PowerPoint]:
    """Hits, counted and failed runs per trial size, smallest first."""
    points = []
    for size in sorted({o.participants for o in outcomes}):
        mine = [o for o in outcomes if o.participants == size]
        counted = [o for o in mine if o.p is not None]
        points.append(PowerPoint(size, sum(1 for o in counted if o.p < ALPHA), len(counted), len(mine) - len(counted)))  # type: ignore[operator]
    return points


def power_command(settings: Settings, config: SimConfig, runs: int, sizes: list[int], workers: int,
                  report: Path | None, console: Console) -> str:  # fmt: skip
    """``--runs K``: K trials per size in ``workers`` processes; power per size, failed runs counted."""
    jobs = [(settings.content_dir, SimConfig(**{**config.__dict__, "participants": size, "seed": config.seed + run}),
             not index and report is not None)
            for index, (size, run) in enumerate((size, run) for size in sizes for run in range(runs))]  # fmt: skip
    outcomes: list[RunOutcome] = []
    with progress_bar(console) as bar, ProcessPoolExecutor(max_workers=workers) as pool:
        task = bar.add_task(f"power: {runs} trials of each of {', '.join(map(str, sizes))}", total=len(jobs))
        for outcome in pool.map(_one_for_power, jobs):
            outcomes.append(outcome)
            bar.update(task, advance=1, refresh=True)
    points = power_points(outcomes)
    lines = [
        f"power of the primary analysis (ITT mixed model, p < {ALPHA}) with {p.participants} randomized: "
        f"{p.significant} of {p.counted} simulated trials significant = {p.power:.0%} "
        f"(95 % CI {p.interval[0]:.0%}-{p.interval[1]:.0%}); {p.failed} failed (effect {config.effect:g})"
        for p in points
    ]
    for size in sorted({o.participants for o in outcomes}):
        found = [o.figures for o in outcomes if o.participants == size and o.figures is not None]
        if found:
            lines.append(f"with {size} randomized, {summary(found)}")
    failures = sorted({o.error for o in outcomes if o.error})
    lines += [f"failed run: {error}" for error in failures[:3]]
    if report is not None and outcomes[0].dataset is not None:
        programme = load_programme(settings.content_dir)
        note = f"Simulated data: the first of the power runs (seed {config.seed}), synthetic people, not real ones."
        html = build_report(outcomes[0].dataset, programme.instruments, "Simulated trial and power", note,
                            trial=programme.trial, power=points)  # fmt: skip
        report.write_text(html, encoding="utf-8")
        lines.append(f"report with the power curve written to {report}")
    return "\n".join(lines)
