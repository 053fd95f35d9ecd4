"""``icbt staff time``: therapist minutes per participant and week, by arm, against the seed's 10–15."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.errors import IcbtError
from bot.settings import load_settings

staff_app = typer.Typer(no_args_is_help=True, help="What the therapists did: their time.")
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (default config/icbt.toml).")]


@staff_app.command("time")
def time(config: ConfigOpt = None) -> None:
    """Recorded therapist minutes per participant and week, and per arm (weeks without a record left out)."""
    from bot.relay.time_report import SEED_MINUTES, by_arm, week_minutes  # the database stack: not for --help
    from bot.storage.database import Database

    async def main() -> list:
        db = Database(load_settings(config).database_url)
        try:
            await db.upgrade()
            return await week_minutes(db)
        finally:
            await db.dispose()

    try:
        rows = asyncio.run(main())
    except IcbtError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(exc.exit_code) from None
    console = Console(width=120)
    if not rows:
        console.print("No therapist minutes recorded yet.")
        return
    table = Table(title="Therapist minutes per participant and week")
    for column in ("participant", "arm", "week", "minutes"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.code, row.arm, row.week, str(row.minutes))
    console.print(table)
    low, high = SEED_MINUTES
    summary = Table(title=f"By arm (the seed's guidance: {low}–{high} min a week)")
    for column in ("arm", "participant-weeks", "minutes a week, mean (SD)"):
        summary.add_column(column)
    for arm in by_arm(rows):
        summary.add_row(arm.arm, str(arm.weeks), f"{arm.mean:.1f} ({arm.sd:.1f})")
    console.print(summary)


@staff_app.command("dropout-check")
def dropout_check(
    participants: Annotated[
        int, typer.Option("--participants", min=10, help="Simulated people who reach the draw.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same people.")] = 1,
    dropout: Annotated[
        float | None, typer.Option(min=0.01, max=1.0, help="Chance of stopping for good (default: simulation.yaml).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """How well the drop-out warning ranks simulated drop-outs above completers (the AUC by days after the stop)."""
    from bot.simulate.calibration import load_calibration
    from bot.simulate.dropout_check import check
    from bot.simulate.people import SimConfig

    settings = load_settings(config)
    try:
        sim = SimConfig.calibrated(load_calibration(settings.content_dir), participants=participants, seed=seed,
                                   dropout=dropout)  # fmt: skip
    except IcbtError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(exc.exit_code) from None
    result = check(sim)
    console = Console(width=120)
    table = Table(title=f"Drop-out warning: {result.dropouts} drop-outs against {result.completers} completers, "
                        f"same programme day (seed {seed})")  # fmt: skip
    table.add_column("days after the last day they could still answer")
    table.add_column("AUC")
    for lag, value in result.auc_by_lag.items():
        table.add_row(str(lag), f"{value:.3f}")
    console.print(table)
