"""Body of ``icbt simulate``: one simulated trial into a database, or ``--runs K`` of them for power.

One run writes into the given database (``--db``, else the configured one), which must hold no
participants yet: a simulation never mixes with real people. ``--runs K`` repeats the trial K times
with seeds S, S+1, ... in temporary SQLite databases, in parallel worker processes (one per core
by default), for each trial size of ``--sizes``, and counts how often the primary analysis (the ITT
mixed model) reaches p < 0.05; a run that fails or gives no p is counted as failed and shown. With
``--report FILE`` the first run's report carries the power curve (power against N).
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError

from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.errors import IcbtError
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
from bot.simulate.run import SimResult, simulate
from bot.storage.database import Database
from bot.storage.models import Participant


class SimulationRefused(IcbtError):
    """The target database already holds participants."""


def _bar(console: Console) -> Progress:
    """Drawn when a simulated day or a run is done, not ten times a second: a refreshing thread would
    take the simulation's own core on a small machine."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, auto_refresh=False)  # fmt: skip


def _shown(url: str) -> str:
    """The URL as an error may show it: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_database(url: str) -> Database:
    """The database ``--db`` names; one it cannot be (no async driver, not a URL) is one readable line."""
    try:
        return Database(url)
    except (ArgumentError, InvalidRequestError, ImportError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise SimulationRefused(
            f"simulate: --db {_shown(url)!r} cannot be used ({reason}); give an async URL such as "
            "sqlite+aiosqlite:////tmp/sim.sqlite3 or postgresql+asyncpg://user@host/database"
        ) from None


async def _one(
    url: str, content: Path, config: SimConfig, console: Console, programme: Programme | None = None
) -> SimResult:
    db = open_database(url)
    try:
        await db.upgrade()
        async with db.reading() as session:
            if await session.scalar(select(func.count(Participant.id))):
                raise SimulationRefused(f"simulate: {url} already holds participants; give a fresh --db")
        with _bar(console) as bar:
            task = bar.add_task(f"simulating {config.participants} people (seed {config.seed})", total=1)

            def on_day(day: int, days: int) -> None:
                bar.update(task, total=days, completed=day, refresh=True)

            return await simulate(db, content, config, on_day, programme)
    finally:
        await db.dispose()


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
        with tempfile.TemporaryDirectory(prefix="icbt-power-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'run.sqlite3'}"
            asyncio.run(_one(url, content, config, Console(quiet=True), simulated))
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


def parse_sizes(text: str | None) -> list[int] | None:
    """``--sizes 30,54,80`` as numbers; one readable line when it is not."""
    if text is None:
        return None
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 2:
        raise SimulationRefused(f"simulate: --sizes {text!r}: give whole numbers of at least 2, separated by commas")
    return sizes


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
    with _bar(console) as bar, ProcessPoolExecutor(max_workers=workers) as pool:
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


def simulate_command(settings: Settings, config: SimConfig, runs: int = 1, db_url: str | None = None,
                     console: Console | None = None, sizes: list[int] | None = None, workers: int | None = None,
                     report: Path | None = None) -> str:  # fmt: skip
    console = console or Console(stderr=True)
    if runs <= 1 and not sizes:
        url = db_url or settings.database_url
        asyncio.run(open_database(url).dispose())  # a URL that cannot be used stops here, before any work
        result = asyncio.run(_one(url, settings.content_dir, config, console))
        arms = ", ".join(f"{n} {arm}" for arm, n in result.randomized.items())
        return (f"simulated {result.applied} applicants ({arms} randomized), {result.answers_sent} answers "
                f"through the engine, into {url}")  # fmt: skip
    return power_command(settings, config, runs, sizes or [config.participants], workers or os.cpu_count() or 1,
                         report, console)  # fmt: skip
