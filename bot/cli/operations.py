"""Command bodies of the inbound area (``icbt participants …``, ``icbt bench``), kept out of cli.py."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bot.clock import SystemClock
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.quarantine import quarantined, unquarantine


async def unquarantine_command(settings: Settings, code: str) -> int:
    db = Database(settings.database_url)
    try:
        await db.check()
        if await unquarantine(db, code, SystemClock().now()):
            typer.echo(f"{code}: quarantine cleared; the next sweep ticks them again")
            return 0
        typer.echo(f"{code}: no quarantined participant with this code", err=True)
        return 1
    finally:
        await db.dispose()


async def quarantined_command(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await db.check()
        rows = await quarantined(db)
        for code, at in rows:
            typer.echo(f"{code}\tquarantined since {at:%Y-%m-%d %H:%M} UTC")
        if not rows:
            typer.echo("nobody is quarantined")
    finally:
        await db.dispose()


async def bench_command(size: str, json_file: Path | None, database_url: str | None) -> None:
    try:
        from benchmarks.suite import run_suite
    except ImportError:
        typer.echo("bench: run it from the repository root (the benchmarks package is not installed)", err=True)
        raise typer.Exit(2) from None
    url = database_url or os.environ.get("ICBT_BENCH_POSTGRES_URL")
    if not url:
        typer.echo("bench: the PostgreSQL figures need an empty database to use: --database-url "
                   "postgresql+asyncpg://… or ICBT_BENCH_POSTGRES_URL (its tables are dropped)", err=True)  # fmt: skip
        raise typer.Exit(2)
    await run_suite(size, json_file=json_file, postgres_url=url)
