"""Body of ``icbt simulate``: one simulated trial into a database, or ``--runs K`` of them for power.

One run writes into the given database (``--db``, else the configured one), which must hold no
participants yet: a simulation never mixes with real people. ``--runs K`` repeats the trial K times
with seeds S, S+1, ... in temporary SQLite databases and counts how often the primary outcome's
group × time interaction (last observation carried forward) reaches p < 0.05.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from bot.content.loader import load_programme
from bot.errors import IcbtError
from bot.measures.analysis import interaction_for, measures, primary_measure
from bot.measures.db_loader import load_dataset
from bot.settings import Settings
from bot.simulate.people import SimConfig
from bot.simulate.run import SimResult, simulate
from bot.storage.database import Database
from bot.storage.models import Participant

ALPHA = 0.05


class SimulationRefused(IcbtError):
    """The target database already holds participants."""


def _bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)  # fmt: skip


async def _one(url: str, content: Path, config: SimConfig, console: Console) -> SimResult:
    db = Database(url)
    try:
        await db.upgrade()
        async with db.reading() as session:
            if await session.scalar(select(func.count(Participant.id))):
                raise SimulationRefused(f"simulate: {url} already holds participants; give a fresh --db")
        with _bar(console) as bar:
            task = bar.add_task(f"simulating {config.participants} people (seed {config.seed})", total=1)

            def on_day(day: int, days: int) -> None:
                bar.update(task, total=days, completed=day)

            return await simulate(db, content, config, on_day)
    finally:
        await db.dispose()


async def _significant(url: str, settings: Settings, config: SimConfig, console: Console) -> bool | None:
    """One repeated trial: is the primary outcome's interaction significant? None if it cannot be computed."""
    await _one(url, settings.content_dir, config, console)
    db = Database(url)
    try:
        programme = load_programme(settings.content_dir)
        dataset = await load_dataset(db, programme)
    finally:
        await db.dispose()
    primary = primary_measure(measures(dataset, programme.instruments))
    result = interaction_for(dataset, primary, "locf") if primary is not None else None
    return None if result is None else result.p < ALPHA


def simulate_command(settings: Settings, config: SimConfig, runs: int = 1, db_url: str | None = None,
                     console: Console | None = None) -> str:  # fmt: skip
    console = console or Console(stderr=True)
    if runs <= 1:
        url = db_url or settings.database_url
        result = asyncio.run(_one(url, settings.content_dir, config, console))
        arms = ", ".join(f"{n} {arm}" for arm, n in result.randomized.items())
        return (f"simulated {result.applied} applicants ({arms} randomized), {result.answers_sent} answers "
                f"through the engine, into {url}")  # fmt: skip
    hits, counted = 0, 0
    with _bar(console) as bar, tempfile.TemporaryDirectory(prefix="icbt-power-") as folder:
        task = bar.add_task(f"power: {runs} trials of {config.participants}", total=runs)
        for run in range(runs):
            url = f"sqlite+aiosqlite:///{Path(folder) / f'run{run}.sqlite3'}"
            one = SimConfig(**{**config.__dict__, "seed": config.seed + run})
            verdict = asyncio.run(_significant(url, settings, one, Console(quiet=True)))
            if verdict is not None:
                counted += 1
                hits += int(verdict)
            bar.advance(task)
    power = hits / counted if counted else 0.0
    return (f"power for the primary outcome (group × time, LOCF, p < {ALPHA}): {hits} of {counted} simulated "
            f"trials significant = {power:.0%} (effect {config.effect:g}, {config.participants} randomized)")  # fmt: skip
