"""Bodies of ``icbt report`` and ``icbt export``: get a dataset, write the file(s), say what was written.

The dataset comes from a loader: the database (``db_loader``) by default, or the seeded synthetic
trial with ``--synthetic SEED``. Failures the person can fix (a folder that cannot be written) are
raised as ``IcbtError`` so the CLI prints one line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from sqlalchemy.exc import DBAPIError

from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.errors import IcbtError, StorageUnavailable
from bot.measures.dataset import TrialDataset
from bot.measures.export import write_export
from bot.measures.free_text import closed_places
from bot.measures.synthetic import synthetic_trial
from bot.settings import Settings

DatasetLoader = Callable[[Programme], Awaitable[tuple[TrialDataset, str]]]  # the data and where it came from
SYNTHETIC_NOTE = (
    "Synthetic data (seed {seed}) from bot/measures/synthetic.py, shaped like the seed trial: not real participants."
)


class OutputError(IcbtError):
    """The report or export cannot be written where asked."""


def database_loader(settings: Settings) -> DatasetLoader:
    async def load(programme: Programme) -> TrialDataset:
        from bot.measures.db_loader import load_dataset
        from bot.measures.provenance import simulated_note
        from bot.storage.database import Database

        db = Database(settings.database_url)
        try:
            await db.check()
            return await load_dataset(db, programme), await simulated_note(db)
        except DBAPIError as exc:
            raise StorageUnavailable(
                f"database: cannot read the trial's tables ({exc.__class__.__name__}); run `icbt db upgrade` first"
            ) from None
        finally:
            await db.dispose()

    return load


def synthetic_loader(seed: int) -> DatasetLoader:
    async def load(programme: Programme) -> TrialDataset:
        return synthetic_trial(programme.instruments, seed=seed), SYNTHETIC_NOTE.format(seed=seed)

    return load


def _dataset(settings: Settings, seed: int | None) -> tuple[Programme, TrialDataset, str]:
    programme = load_programme(settings.content_dir, settings.site_content_dir)
    loader = synthetic_loader(seed) if seed is not None else database_loader(settings)
    dataset, note = asyncio.run(loader(programme))
    return programme, dataset, note


class ReportOptionError(IcbtError):
    """An option of ``icbt report`` with a value it does not know."""


def report_command(settings: Settings, out: Path, seed: int | None = None, sd_source: str = "sample") -> str:
    if sd_source not in ("sample", "instrument"):
        raise ReportOptionError(f"report: --rc-sd must be 'sample' or 'instrument', not {sd_source!r}")
    from bot.measures.report import build_report  # the analysis extra: the export does not need it

    programme, dataset, note = _dataset(settings, seed)
    html = build_report(
        dataset,
        programme.instruments,
        title="Trial report",
        source_note=note,
        trial=programme.trial,
        sd_source=sd_source,
    )  # type: ignore[arg-type]  # checked above
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"report: {out}: cannot write ({exc.strerror})") from None
    return f"report written to {out} ({len(dataset.randomized())} randomized, {len(html) // 1024} KiB)"


def export_command(
    settings: Settings,
    out: Path,
    seed: int | None = None,
    console: Console | None = None,
    include_free_text: bool = False,
) -> str:
    programme, dataset, _ = _dataset(settings, seed)
    try:
        files = write_export(
            dataset,
            out,
            programme.instruments,
            console=console or Console(stderr=True),
            closed=closed_places(programme),
            include_free_text=include_free_text,
        )
    except OSError as exc:
        raise OutputError(f"export: {out}: cannot write ({exc.strerror})") from None
    return f"export written to {out}: {', '.join(f.name for f in files)}"
