"""``icbt participants …`` and ``icbt trial status``: the admin's view of the trial, as rich tables.

Every command reads settings once, runs one service call and prints; an ``IcbtError`` becomes one
line and its exit code. Who ran a command is recorded in the audit log (``--by``, default the login).
The database stack is imported inside the commands, so ``icbt --help`` and every other command start
without SQLAlchemy or Alembic.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bot.clock import SystemClock
from bot.errors import IcbtError, TrialStateError
from bot.features import build_engine
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.content.programme import Programme
    from bot.storage.database import Database
    from bot.trial.privacy import ParticipantData

T = TypeVar("T")

participants_app = typer.Typer(
    no_args_is_help=True,
    help="List, show, record an interview, withdraw, correct a questionnaire, export or erase participants.",
)
trial_app = typer.Typer(no_args_is_help=True, help="The trial's progress.")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (default config/icbt.toml).")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who is doing this, for the audit log (default: your login).")]
CodeArg = Annotated[str, typer.Argument(help="Participant code, e.g. P-0007.")]


def _fail(error: IcbtError) -> NoReturn:
    typer.echo(str(error), err=True)
    raise typer.Exit(error.exit_code)


def _confirmed(code: str, what: str, yes: bool) -> None:
    """A step that cannot be undone runs with ``--yes`` or once its code is typed back; with nothing
    to read (no terminal, no input) it is refused in one line, never assumed."""
    if yes:
        return
    typer.echo(f"{what} {code} cannot be undone. Type {code} to confirm: ", nl=False, err=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line.strip():
        typer.echo(f"\nrefused: nothing typed to confirm; nothing was done (add --yes to {what.lower()} {code} "
                   "without asking)", err=True)  # fmt: skip
        raise typer.Exit(2)
    if line.strip().upper() != code:
        typer.echo(f"not confirmed: {line.strip()[:40]!r} is not {code}; nothing was done", err=True)
        raise typer.Exit(1)


def _actor(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


def _with(config: Path | None, work: Callable[[Settings, Database, Programme], Awaitable[T]]) -> T:
    """Run one unit of work against the configured database; errors end as one line."""

    from bot.content.loader import load_programme
    from bot.storage.bulk import use_fast_path
    from bot.storage.database import Database

    async def main() -> T:
        settings = load_settings(config)
        use_fast_path(settings.storage_fast_path)
        programme = load_programme(settings.content_dir)
        db = Database(settings.database_url)
        try:
            await db.upgrade()
            return await work(settings, db, programme)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except IcbtError as exc:
        _fail(exc)


def _data(settings: Settings, db: Database, programme: Programme) -> ParticipantData:
    from bot.trial.privacy import ParticipantData

    staff = ("telegram", str(settings.staff_chat_id)) if settings.staff_chat_id is not None else None
    return ParticipantData(db, programme, SystemClock(), retention_days=settings.trial_retention_days,
                           outbox_purge_days=settings.trial_outbox_purge_days, charts_dir=settings.charts_dir,
                           staff_chat=staff)  # fmt: skip


@participants_app.command("list")
def list_participants(config: ConfigOpt = None, by: ByOpt = None) -> None:
    """One line per participant: stage, arm and week (a staff read: audited)."""
    from bot.trial.report import TrialReport

    lines = _with(config, lambda s, db, p: TrialReport(db, p, SystemClock()).lines(_actor(by)))
    table = Table(title=f"{len(lines)} participant(s)")
    for column in ("code", "status", "stage", "arm", "week", "reachable"):
        table.add_column(column)
    for line in lines:
        week = "" if line.week is None else ("done" if line.finished else str(line.week))
        table.add_row(line.code, line.status, line.stage, line.arm or "", week, "no" if line.unreachable else "yes")
    Console().print(table)


@participants_app.command("show")
def show(code: CodeArg, config: ConfigOpt = None, by: ByOpt = None) -> None:
    """Where one participant stands, with the interviewer's contact details (audited)."""
    from bot.trial.report import TrialReport

    line = _with(config, lambda s, db, p: TrialReport(db, p, SystemClock()).lines(_actor(by), code.upper()))[0]
    table = Table(title=line.code, show_header=False)
    rows: dict[str, Any] = {"status": line.status, "stage": line.stage, "arm": line.arm,
                            "allocated on": line.allocated_on, "week": line.week, **line.detail}  # fmt: skip
    for key, value in rows.items():
        table.add_row(key.replace("_", " "), "" if value in (None, []) else str(value))
    Console().print(table)


@participants_app.command("withdraw")
def withdraw(
    code: CodeArg,
    may_use_data: Annotated[bool, typer.Option("--may-use-data/--no-use-data", help="The participant's choice.")],
    config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Withdraw a participant: every pending message stops, staff are told, the choice is kept."""
    from bot.trial.service import TrialService

    async def work(settings: Settings, db: Database, programme: Programme) -> bool:
        staff = ("telegram", str(settings.staff_chat_id)) if settings.staff_chat_id is not None else None
        service = TrialService(db, programme, SystemClock(), seed=None, staff_target=staff)
        return await service.withdraw(code.upper(), may_use_data, _actor(by))

    changed = _with(config, work)
    typer.echo(f"{code.upper()} withdrawn" if changed else f"{code.upper()} had already withdrawn; nothing changed")


@participants_app.command("interviewed")
def interviewed(
    code: CodeArg,
    outcome: Annotated[str, typer.Argument(help="include or exclude")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required for exclude).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Exclude without asking to confirm.")] = False,
    config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Record the interview (as /interviewed in the staff group): an include brings the consent; an
    exclude (the person is told at once; it cannot be undone) asks for the code to be typed back."""
    if outcome.strip().lower() == "exclude":
        _confirmed(code.upper(), "Excluding", yes)
    from sqlalchemy import select

    from bot.charts.files import PictureWriter
    from bot.conversation.decisions import Decisions
    from bot.engine.model import Policy
    from bot.safety import SafetySite
    from bot.storage.models import Participant
    from bot.trial.commands import CommandRejected, parse_interviewed
    from bot.trial.service import TrialService

    async def work(settings: Settings, db: Database, programme: Programme) -> str:
        try:
            command = parse_interviewed(f"{code} {outcome} {reason or ''}")
        except CommandRejected as exc:
            raise TrialStateError(str(exc)) from None
        clock = SystemClock()
        trial = TrialService(db, programme, clock, seed=None)
        engine = build_engine(programme, Policy(trial=True, staff_available=settings.staff_chat_id is not None,
                                          safety=SafetySite.from_settings(settings)))  # fmt: skip
        decisions = Decisions(db, engine, clock, PictureWriter(settings.charts_dir), lambda: None)
        async with db.transaction() as session:  # the record and the participant's next step, together
            await trial.record_interview(session, command.code, command.outcome, command.reason, _actor(by))
            pid = await session.scalar(select(Participant.id).where(Participant.code == command.code))
            await decisions.decide_in(session, pid, lambda state, now: engine.interviewed(state, command.outcome, now))
        return command.outcome

    done = _with(config, work)
    typer.echo(f"{code.upper()}: interview recorded ({done}); the running bot sends their next message")


@participants_app.command("export")
def export(
    code: CodeArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default CODE-data.json; - for stdout).")
    ] = None,
    config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Write everything stored about a participant as JSON (a subject-access request; audited)."""
    from bot.trial.privacy import as_document

    data = _with(config, lambda s, db, p: _data(s, db, p).export(code.upper(), _actor(by)))
    name, document = as_document(data)
    if out is not None and str(out) == "-":
        typer.echo(document.decode("utf-8"), nl=False)
        return
    target = out or Path(name)
    target.write_bytes(document)
    typer.echo(f"wrote {target}")


@participants_app.command("erase")
def erase(
    code: CodeArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Remove a participant's words and chat id everywhere; keep only what the retention rule says.
    Asks for the code to be typed back unless ``--yes``."""
    _confirmed(code.upper(), "Erasing everything written by", yes)
    erasure = _with(config, lambda s, db, p: _data(s, db, p).erase(code.upper(), _actor(by)))
    removed = ", ".join(f"{n} {table}" for table, n in erasure.removed.items() if n)
    typer.echo(f"{erasure.code} erased ({removed or 'nothing stored'}); kept: {erasure.kept}")


@participants_app.command("correct")
def correct(
    code: CodeArg,
    administration: Annotated[str, typer.Argument(help="MODULE.STEP of the questionnaire, e.g. baseline.phq9.")],
    changes: Annotated[list[str], typer.Argument(help="ITEM=NUMBER for each answer to correct, e.g. q3=2.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log and the analysis.")] = "",
    config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Correct a closed questionnaire: a new, audited record beside the first score, which stays."""
    from bot.measures.corrections import correct_administration, parse_changes

    async def work(settings: Settings, db: Database, programme: Programme) -> str:
        async with db.transaction() as session:
            row = await correct_administration(session, programme, code, administration, parse_changes(changes),
                                               reason, _actor(by), SystemClock().now())  # fmt: skip
            what = ", ".join(f"{item} {old} → {new}" for item, (old, new) in row.changed.items())
            return f"{code.upper()} {administration} corrected ({what}); {row.instrument} total now {row.total}"

    typer.echo(_with(config, work))


@trial_app.command("status")
def status(config: ConfigOpt = None, by: ByOpt = None) -> None:
    """Counts per stage, per arm, and per week of each arm (audited)."""
    from bot.trial.report import STAGE_ROWS, TrialReport

    summary = _with(config, lambda s, db, p: TrialReport(db, p, SystemClock()).status(_actor(by)))
    console = Console()
    stages = Table(title="Trial status")
    stages.add_column("stage")
    stages.add_column("participants", justify="right")
    for name in STAGE_ROWS:
        stages.add_row(name, str(summary.stages[name]))
    for arm, n in sorted(summary.arms.items()):
        stages.add_row(f"randomized: {arm}", str(n))
    console.print(stages)
    weeks = Table(title="In each week (active, by arm)")
    for column in ("arm", "week", "participants"):
        weeks.add_column(column)
    for (arm, week), n in summary.weeks.items():
        weeks.add_row(arm, str(week), str(n))
    console.print(weeks)
    if summary.flow is not None:  # the same count as the report's enrolment flow and the export
        flow = Table(title="CONSORT flow (as the report and the export count it)")
        flow.add_column("arm")
        flow.add_column("outcome")
        flow.add_column("participants", justify="right")
        for outcome, n in sorted(summary.flow.before_draw.items()):
            flow.add_row("not randomised", outcome, str(n))
        for arm, outcomes in summary.flow.arms.items():
            for outcome, n in sorted(outcomes.items()):
                flow.add_row(arm, outcome, str(n))
            flow.add_row(arm, "analysed (intention to treat)", str(summary.flow.analysed(arm)))
        console.print(flow)


@trial_app.command("audit")
def audit(config: ConfigOpt = None, by: ByOpt = None) -> None:
    """Check every allocation made against the sequence the seed (ICBT_TRIAL_SEED) reproduces, and the
    allocations' hash chain (a deleted, edited or redrawn allocation breaks it).

    Prints only counts and the allocations already made that do not match; nothing ahead is shown.
    """
    from bot.trial.allocation import ArmWeight, mismatches
    from bot.trial.chain import breaks
    from bot.trial.report import TrialReport
    from bot.trial.seed import run_seed

    async def work(settings: Settings, db: Database, programme: Programme) -> tuple[int, list[Any], list[str]]:
        seed = run_seed(settings)
        if programme.trial is None:
            raise TrialStateError("the content has no trial/trial.yaml")
        report = TrialReport(db, programme, SystemClock())
        made = await report.allocations_made(_actor(by))
        links, audited = await report.allocation_chain()
        weights = [ArmWeight(a.id, a.weight) for a in programme.trial.arms]
        return (
            len(made),
            mismatches(seed, weights, programme.trial.block_sizes, made, programme.trial.max_imbalance),
            breaks(links, audited),
        )

    checked, wrong, broken = _with(config, work)
    for stratum, index, arm, expected in wrong:
        typer.echo(f"MISMATCH {stratum} #{index}: stored {arm}, the seed gives {expected}")
    for problem in broken:
        typer.echo(f"CHAIN {problem}")
    typer.echo(f"{checked} allocation(s) checked, {len(wrong)} mismatch(es), {len(broken)} break(s) in the chain")
    if wrong or broken:
        raise typer.Exit(1)
