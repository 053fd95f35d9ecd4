"""Body of ``icbt simulate``: one simulated trial into a database (``--runs K`` for power is
``bot/cli/simulate_power.py``, which uses ``one_trial`` here in each worker process).

One run writes into the given database (``--db``, else the configured one), which must hold no
participants yet: a simulation never mixes with real people.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError

from bot.content.programme import Programme
from bot.errors import IcbtError
from bot.settings import Settings
from bot.simulate.people import SimConfig
from bot.simulate.run import SimResult, simulate
from bot.storage.database import Database
from bot.storage.models import Participant


class SimulationRefused(IcbtError):
    """The target database already holds participants."""


def progress_bar(console: Console) -> Progress:
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


async def one_trial(
    url: str, content: Path, config: SimConfig, console: Console, programme: Programme | None = None,
    until_primary: bool = False,
) -> SimResult:  # fmt: skip
    """One simulated trial into the fresh database ``url`` (``until_primary``: see ``simulate``)."""
    db = open_database(url)
    try:
        await db.upgrade()
        async with db.reading() as session:
            if await session.scalar(select(func.count(Participant.id))):
                raise SimulationRefused(f"simulate: {url} already holds participants; give a fresh --db")
        with progress_bar(console) as bar:
            task = bar.add_task(f"simulating {config.participants} people (seed {config.seed})", total=1)

            def on_day(day: int, days: int) -> None:
                bar.update(task, total=days, completed=day, refresh=True)

            return await simulate(db, content, config, on_day, programme, until_primary)
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


def simulate_command(settings: Settings, config: SimConfig, db_url: str | None = None,
                     console: Console | None = None) -> str:  # fmt: skip
    """One simulated trial into ``db_url`` (else the configured database); ``--runs`` is
    ``bot/cli/simulate_power.py``, which ``icbt simulate`` calls instead."""
    console = console or Console(stderr=True)
    url = db_url or settings.database_url
    asyncio.run(open_database(url).dispose())  # a URL that cannot be used stops here, before any work
    result = asyncio.run(one_trial(url, settings.content_dir, config, console))
    arms = ", ".join(f"{n} {arm}" for arm, n in result.randomized.items())
    return (f"simulated {result.applied} applicants ({arms} randomized), {result.answers_sent} answers "
            f"through the engine, into {url}")  # fmt: skip
