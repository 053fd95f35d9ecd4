"""The ``icbt`` command line: run, demo, content validate/outline, db upgrade.

Every error the project raises on purpose ends here as one readable line and an exit code; no
traceback reaches the person at the terminal.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from bot.cli.staff import staff_app
from bot.cli.trial import participants_app, trial_app
from bot.errors import AnalysisMissing, ContentError, IcbtError
from bot.settings import Settings, load_settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="icbt-bot: guided internet CBT for chronic back pain.",
)
content_app = typer.Typer(no_args_is_help=True, help="Check and review the YAML content.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
safety_app = typer.Typer(no_args_is_help=True, help="Try the risk screen on your own sentences.")
app.add_typer(content_app, name="content")
app.add_typer(db_app, name="db")
app.add_typer(safety_app, name="safety")
# trial: bodies in bot/cli/trial.py
app.add_typer(participants_app, name="participants")
app.add_typer(trial_app, name="trial")
app.add_typer(staff_app, name="staff")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (default config/icbt.toml).")]


def _fail(error: IcbtError) -> NoReturn:
    typer.echo(str(error), err=True)
    raise typer.Exit(error.exit_code)


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except IcbtError as exc:
        _fail(exc)


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        return asyncio.run(coro)
    except IcbtError as exc:
        _fail(exc)


def _needs_analysis(command: str) -> None:
    """The statistics are an extra (``icbt-bot[analysis]``): without it, one line says how to add it."""
    missing = next(
        (name for name in ("pandas", "scipy", "statsmodels") if importlib.util.find_spec(name) is None), None
    )
    if missing is not None:  # looked up, not imported: a command that does not need them now need not wait for them
        _fail(AnalysisMissing(f"icbt {command} needs the analysis extra ({missing} is not installed): "
                              "pip install 'icbt-bot[analysis]' (./dev installs it)"))  # fmt: skip


def _logging(level: str, settings: Settings | None = None) -> None:
    """Logs on stderr; the token is masked in every line and httpx's request-URL lines are off."""
    from bot.safety.logs import configure_logging

    token = settings.telegram_token.get_secret_value() if settings and settings.telegram_token else ""
    configure_logging(level, secrets=[token])


@content_app.command("validate")
def content_validate(
    directory: Annotated[Path, typer.Argument(help="Content directory.")] = Path("content"),
    site: Annotated[
        Path | None, typer.Option("--site", help="The site's own wording for licensed instruments (site_content_dir).")
    ] = None,
    trial: Annotated[
        bool, typer.Option("--trial", help="Also check the trial can run: its primary outcome has its wording.")
    ] = False,
) -> None:
    """Check every YAML file; print each problem as `file: path.to.field: what is wrong`."""
    from bot.content.loader import load_programme
    from bot.content.site import wording_status
    from bot.relay.content import load_relay_content

    try:
        programme = load_programme(directory, site)
        load_relay_content(directory)  # relay: staff texts, feedback templates, call checklist
    except ContentError as exc:
        for problem in exc.problems:
            typer.echo(problem)
        typer.echo(f"{len(exc.problems)} problem(s) found.", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"content OK: {len(programme.modules)} modules, {len(programme.instruments)} instruments, version {programme.version}"
    )
    for instrument in sorted(programme.instruments.values(), key=lambda i: i.id):
        typer.echo(f"instrument {wording_status(instrument).line()}")
    if trial:
        from bot.measures.primary_outcome import primary_outcome_problem

        problem = primary_outcome_problem(programme, directory, site)
        if problem is not None:
            typer.echo(problem)
            raise typer.Exit(1)
        typer.echo("trial OK: its primary outcome can be given")


@content_app.command("outline")
def content_outline(
    directory: Annotated[Path, typer.Argument(help="Content directory.")] = Path("content"),
    language: Annotated[str | None, typer.Option(help="Language to show.")] = None,
) -> None:
    """Print the programme week by week: phases, modules, steps and form fields."""
    from bot.content.loader import load_programme
    from bot.content.outline import outline

    try:
        programme = load_programme(directory)
    except ContentError as exc:
        _fail(exc)
    for line in outline(programme, language):
        typer.echo(line)


@safety_app.command("check")
def safety_check(
    file: Annotated[Path | None, typer.Argument(help="One text per line (default: standard input).")] = None,
    content: Annotated[Path, typer.Option("--content", help="Content directory with safety/<lang>.yaml.")] = Path(
        "content"
    ),
    lang: Annotated[str, typer.Option("--lang", help="Language of the phrase list.")] = "en",
) -> None:
    """Print `LEVEL<TAB>TEXT` (urgent, concern or none) for each line, as the shipped screen grades it."""
    from bot.cli.safety import check_command

    if file is not None and not file.is_file():
        typer.echo(f"safety check: {file}: file not found", err=True)
        raise typer.Exit(2)
    try:
        code = check_command(file, content, lang)
    except ContentError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply database migrations (also done automatically on start)."""
    from bot.storage.database import Database

    settings = _settings(config)

    async def main() -> None:
        db = Database(settings.database_url)
        try:
            await db.upgrade()
        finally:
            await db.dispose()

    _run(main())
    typer.echo("database is up to date")


@app.command()
def demo(
    script: Annotated[
        Path | None, typer.Option(help="Read one participant input per line; print the transcript.")
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Forget every demo participant and start over.")] = False,
    participant: Annotated[
        str | None,
        typer.Option(
            "--participant", help="Type as this person (a participant of their own); /as NAME switches in the chat."
        ),
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="Override ICBT_DATABASE_URL.")] = None,
    start: Annotated[
        datetime | None, typer.Option(help="Simulated start time in UTC, e.g. 2026-01-05T07:00 (default: now).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Chat with the bot in this terminal as a participant (SQLite by default, no token needed)."""
    from bot.channels.demo import run_demo

    settings = _settings(config, database_url=database_url)
    _logging("WARNING")
    if script is not None and not script.exists():
        typer.echo(f"demo: {script}: file not found", err=True)
        raise typer.Exit(2)
    lines: Iterator[str] | None = iter(script.read_text(encoding="utf-8").splitlines()) if script else None
    code = _run(
        run_demo(
            settings, lines, fresh=fresh, start=start.replace(tzinfo=UTC) if start else None, participant=participant
        )
    )
    raise typer.Exit(code)


@app.command()
def run(config: ConfigOpt = None) -> None:
    """Run the Telegram bot (long polling, or webhook when telegram_mode = "webhook")."""
    from bot.channels.telegram.runner import run_telegram
    from bot.trial.seed import run_seed

    settings = _settings(config)
    _logging(settings.log_level, settings)
    try:
        if settings.telegram_token is not None:  # the token is checked first, by run_telegram
            run_seed(settings)  # no real run without the allocation seed
        run_telegram(settings)
    except IcbtError as exc:
        _fail(exc)


# -- measures: the trial report and the tidy export (bodies in bot/cli/report.py) ---------
SyntheticOpt = Annotated[
    int | None, typer.Option("--synthetic", help="Use the seeded synthetic trial (this seed) instead of the database.")
]


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    synthetic: SyntheticOpt = None,
    rc_sd: Annotated[
        str,
        typer.Option(
            "--rc-sd", help="Reliable change's s1: 'sample' (baseline SD of this trial) or 'instrument' (the file's)."
        ),
    ] = "sample",
    config: ConfigOpt = None,
) -> None:
    """Write the trial report: one self-contained HTML file with tables and plots."""
    _needs_analysis("report")
    from bot.cli.report import report_command

    settings = _settings(config)
    try:
        typer.echo(report_command(settings, out, synthetic, sd_source=rc_sd))
    except IcbtError as exc:
        _fail(exc)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV files and the data dictionary.")],
    synthetic: SyntheticOpt = None,
    include_free_text: Annotated[
        bool,
        typer.Option("--include-free-text", help="Also export people's own words (notes, text answers, questions)."),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Export the randomised participants' answers, scores, diaries, module progress and therapist time
    as tidy CSV, with a screening log of everyone not randomised (screening.csv) and a data dictionary."""
    from bot.cli.report import export_command

    settings = _settings(config)
    try:
        typer.echo(export_command(settings, out, synthetic, include_free_text=include_free_text))
    except IcbtError as exc:
        _fail(exc)


@app.command()
def simulate(
    participants: Annotated[int, typer.Option("--participants", min=2, help="People who reach the draw.")] = 54,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same simulated trial.")] = 1,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Repeat the trial K times to estimate power.")] = 1,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: the configured one).")] = None,
    adherence: Annotated[
        float | None, typer.Option(min=0.05, max=1.0, help="Mean daily chance of answering (default: simulation.yaml).")
    ] = None,
    dropout: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Chance of stopping for good (default: simulation.yaml).")
    ] = None,
    effect: Annotated[
        float | None,
        typer.Option(min=0.0, help="Treatment effect as a multiple of the seed's (default: simulation.yaml)."),
    ] = None,
    sizes: Annotated[
        str | None, typer.Option("--sizes", help="With --runs: trial sizes for the power curve, e.g. 30,54,80.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes for --runs (default: cores).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="With --runs: write a report with the power curve.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Run synthetic people through the real engine on the simulated clock (a protocol rehearsal)."""
    _needs_analysis("simulate")
    from bot.cli.simulate import parse_sizes, simulate_command
    from bot.simulate.calibration import load_calibration
    from bot.simulate.people import SimConfig

    settings = _settings(config)
    try:
        sim = SimConfig.calibrated(load_calibration(settings.content_dir), participants=participants, seed=seed,
                                   adherence=adherence, dropout=dropout, effect=effect)  # fmt: skip
        trial_sizes = parse_sizes(sizes)
        if runs <= 1 and not trial_sizes:
            typer.echo(simulate_command(settings, sim, db_url=db))
        else:  # the statistics are loaded only for power
            from rich.console import Console

            from bot.cli.simulate_power import power_command

            typer.echo(power_command(settings, sim, runs, trial_sizes or [participants], workers or os.cpu_count() or 1,
                                     report, Console(stderr=True)))  # fmt: skip
    except IcbtError as exc:
        _fail(exc)


# -- inbound area: quarantine (on the trial's ``participants`` group) and the benchmark ------------


@participants_app.command("unquarantine")
def participants_unquarantine(code: Annotated[str, typer.Argument(help="Participant code, e.g. P-0042.")],
                              config: ConfigOpt = None) -> None:  # fmt: skip
    """Let the sweeps tick a quarantined participant again (after the cause is fixed)."""
    from bot.cli.operations import unquarantine_command

    raise typer.Exit(_run(unquarantine_command(_settings(config), code)))


@participants_app.command("quarantined")
def participants_quarantined(config: ConfigOpt = None) -> None:
    """List the participants the sweeps skip because their tick failed."""
    from bot.cli.operations import quarantined_command

    _run(quarantined_command(_settings(config)))


@app.command()
def bench(
    quick: Annotated[bool, typer.Option(help="A smaller, faster run.")] = False,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the figures as JSON to this file.")] = None,
    database_url: Annotated[str | None, typer.Option(help="PostgreSQL URL (or ICBT_BENCH_POSTGRES_URL).")] = None,
    smoke: Annotated[
        bool, typer.Option(help="The smallest loads: checks the command works; figures mean little.")
    ] = False,
) -> None:
    """Measure the inbound path, the sweep, memory and the python-telegram-bot baseline."""
    from bot.cli.operations import bench_command

    _run(bench_command("smoke" if smoke else "quick" if quick else "full", json_file, database_url))


if __name__ == "__main__":
    app()
