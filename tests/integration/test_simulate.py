"""The trial simulator: synthetic people through the real engine, service and trial service, on the
simulated clock, into real storage (SQLite and PostgreSQL); then the database loader and the export.

Small on purpose (two people reach the draw, one is screened out): the whole trial of 54 runs with
``icbt simulate --participants 54 --seed 1`` (docs/example-report.html).
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import yaml
from rich.console import Console
from sqlalchemy import select

from bot.clock import FakeClock
from bot.content.loader import load_programme
from bot.measures.analysis import enrolment_flow
from bot.measures.db_loader import load_dataset
from bot.measures.export import write_export
from bot.simulate.overlay import PLACEHOLDER, simulated_programme, write_overlay
from bot.simulate.people import SimConfig
from bot.simulate.run import THERAPIST, Simulation, simulate
from bot.storage.models import Answer, AuditEntry, Consent, OutboxMessage, Participant
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_trial import TrialAllocation, TrialApplication, TrialInterview
from bot.trial.report import TrialReport
from tests.conftest import database_fixture, fresh_database

# A whole small trial through the chat: on SQLite (the storage tests cover PostgreSQL), so CI stays
# within its 15 minutes.
db = database_fixture(["sqlite"])

CONTENT = Path(__file__).resolve().parents[2] / "content"
SEED = 1  # with this seed (and no drop-out) the two people taken in are drawn into different arms


def test_the_overlay_is_made_up_wording_for_every_licensed_instrument(tmp_path: Path) -> None:
    folder = write_overlay(CONTENT, tmp_path / "site")
    programme = load_programme(CONTENT, folder)
    licensed = [i for i in programme.instruments.values() if i.licence == "licensed"]
    assert {i.id for i in licensed} >= {"csq_catastrophizing", "mpi_s", "pairs", "hads", "qoli", "madrs_s"}
    for instrument in licensed:
        assert instrument.wording_supplied
        assert all("not the licensed wording" in programme.text(item.text, "en") for item in instrument.items)
        data = yaml.safe_load((folder / "instruments" / f"{instrument.id}.yaml").read_text(encoding="utf-8"))
        assert set(data) == {"id", "items"}, "only wording: scoring stays the shipped file's"
    assert "{n}" in PLACEHOLDER


async def test_a_small_simulated_trial_goes_through_the_chat_and_exports_every_answer(db, tmp_path: Path) -> None:
    """Four applicants: one not eligible by the answers given in the chat, one excluded by the
    therapist's /interviewed in the staff group, two drawn in the chat after the consent."""
    result = await simulate(
        db, CONTENT, SimConfig(participants=2, excluded=2, seed=SEED, dropout=0.0, crossover_accept=1.0)
    )
    assert result.applied == 4
    async with db.reading() as session:
        people = list(await session.scalars(select(Participant)))
        allocations = list(await session.scalars(select(TrialAllocation)))
        applications = list(await session.scalars(select(TrialApplication)))
        interviews = list(await session.scalars(select(TrialInterview)))
        consents = list(await session.scalars(select(Consent).where(Consent.agreed.is_(True))))
        audit = list(await session.scalars(select(AuditEntry)))
        answers = list(await session.scalars(select(Answer)))
        scores = list(await session.scalars(select(ScoreRow)))
    assert len(people) == 4 and len(applications) == 4
    # the application was answered in the chat (started and completed there) and assessed
    started = {a.participant_id for a in audit if a.action == "application_started"}
    completed = {a.participant_id for a in audit if a.action == "application_completed"}
    assert started == completed == {p.id for p in people}
    assert Counter(a.status for a in applications) == Counter({"not_eligible": 1, "excluded": 1, "included": 2})
    # the therapist's interviews came through the relay's staff command, as in the staff group
    assert Counter(i.outcome for i in interviews) == Counter({"include": 2, "exclude": 1})
    assert all(i.by == f"therapist:{THERAPIST}" for i in interviews)
    # the draw was made in the chat, after the consent, once per person taken in
    included = {a.participant_id for a in applications if a.status == "included"}
    assert {a.participant_id for a in allocations} == {c.participant_id for c in consents} == included
    assert Counter(a.arm for a in allocations) == Counter({"treatment": 1, "waiting_list": 1})
    assert result.randomized == {"treatment": 1, "waiting_list": 1}
    treated = next(a.participant_id for a in allocations if a.arm == "treatment")
    waiting = next(a.participant_id for a in allocations if a.arm == "waiting_list")
    # one engine followed each arm's calendar: the waiting list's check-ins and the crossover offer
    check_ins = [a for a in audit if a.action == "trial_check_in"]
    assert {a.participant_id for a in check_ins} == {waiting} and len(check_ins) == 4
    assert [a.participant_id for a in audit if a.action == "crossover_offered"] == [waiting]
    assert [a.participant_id for a in audit if a.action == "crossover_accepted"] == [waiting]  # the offer is taken
    # the primary outcome was asked (with the made-up wording) and scored at baseline, for both arms
    baseline = {(s.participant_id, s.instrument) for s in scores if s.module_id == "baseline"}
    for allocation in allocations:
        for instrument in ("csq_catastrophizing", "phq9", "hads", "qoli", "mpi_s", "pairs"):
            assert (allocation.participant_id, instrument) in baseline
    diary_days = {(a.participant_id, a.entry_id) for a in answers if a.step_id == "pain_diary"}
    assert len(diary_days) >= 2 * 7, "most diary days of the baseline window were filled in"
    before_crossover = min(a.at for a in audit if a.action == "crossover_offered")
    modules = {(a.participant_id, a.module_id) for a in answers if a.answered_at < before_crossover}
    assert (treated, "week02") in modules and not any(pid == waiting and m.startswith("week") for pid, m in modules)
    # the engine's charts reached the messages, named and not drawn (nobody simulated looks at one)
    async with db.reading() as session:
        images = [m.payload["image"] for m in await session.scalars(select(OutboxMessage)) if m.payload.get("image")]
    assert images and all(image.endswith("(not drawn)") and not Path(image).exists() for image in images)

    programme = load_programme(CONTENT)
    dataset = await load_dataset(db, programme)
    arms = {p.code: p.arm for p in dataset.participants}
    codes = {p.id: p.code for p in people}
    assert arms[codes[treated]] == "treatment" and arms[codes[waiting]] == "control"
    screened = [p for p in dataset.participants if p.arm is None]
    assert len(screened) == 2 and all(p.status == "excluded" and p.exclusion_reason for p in screened)
    # the report's CONSORT counts reconcile with `icbt trial status`
    status = await TrialReport(db, programme, FakeClock(result.finished_at)).status("test")
    flow = enrolment_flow(dataset)
    assert (status.stages["applied"], status.stages["randomized"]) == (flow.applied, flow.randomized) == (4, 2)
    assert {"treatment" if arm == "treatment" else "control": n for arm, n in status.arms.items()} == flow.allocated

    write_export(dataset, tmp_path / "out", programme.instruments, console=Console(quiet=True), include_free_text=True)
    with (tmp_path / "out" / "answers.csv").open(encoding="utf-8", newline="") as handle:
        exported = Counter(
            (r["code"], r["module_id"], r["step_id"], r["field_id"] or None, r["entry_id"] or None,
             json.dumps(json.loads(r["value"])))
            for r in csv.DictReader(handle)
        )  # fmt: skip
    randomised = {p.code for p in dataset.randomized()}
    stored = Counter(
        (codes[a.participant_id], a.module_id, a.step_id, a.field_id, a.entry_id, json.dumps(a.value))
        for a in answers
        if codes[a.participant_id] in randomised
    )
    assert stored == exported, "every stored answer of the randomised appears once in answers.csv with the same value"
    assert len(answers) > sum(stored.values()) > 500, "the screened-out applicants' answers stay out"


async def test_a_power_run_stops_once_the_primary_outcome_is_complete_and_it_is_the_same(db, tmp_path: Path) -> None:
    """A ``--runs`` trial stops on the first day on which everyone drawn has the primary outcome's post
    score or has stopped answering for good: its primary-outcome scores are those of the whole run."""
    config = SimConfig(participants=3, excluded=0, seed=SEED, dropout=0.5)
    with tempfile.TemporaryDirectory() as folder:
        programme = simulated_programme(CONTENT, Path(folder))
    whole = await Simulation(db, programme, config, CONTENT).run()
    stopping = await fresh_database("sqlite", tmp_path / "power")
    try:
        power = Simulation(stopping, programme, config, CONTENT, until_primary=True)
        stopped = await power.run()
        primary = [(await _primary_scores(d)) for d in (db, stopping)]
    finally:
        await stopping.dispose()
    # with this seed one drawn person answers the post questionnaires and two drop out on the way
    assert sorted(p.drop_week is None for p in power.people) == [False, False, True]
    assert {module for _, module, _, _ in primary[0]} == {"baseline", "post"}
    assert primary[0] == primary[1]
    assert stopped.finished_at < whole.finished_at - timedelta(weeks=4)
    assert stopped.answers_sent < whole.answers_sent


async def _primary_scores(db) -> list[tuple[int, str, float | None, object]]:
    async with db.reading() as session:
        rows = await session.scalars(select(ScoreRow).where(ScoreRow.instrument == "csq_catastrophizing"))
        return sorted((r.participant_id, r.module_id, r.total, r.at) for r in rows)


def test_simulate_refuses_a_database_that_holds_participants(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from typer.testing import CliRunner

    from bot.cli.app import app
    from bot.storage.database import Database
    from bot.storage.repository import Repository

    url = f"sqlite+aiosqlite:///{tmp_path / 'real.sqlite3'}"

    async def someone_real() -> None:
        db = Database(url)
        await db.upgrade()
        async with db.transaction() as session:
            await Repository(session, False).create_participant("telegram", "42", "en", "Europe/Stockholm",
                                                                datetime(2026, 1, 5, tzinfo=UTC))  # fmt: skip
        await db.dispose()

    asyncio.run(someone_real())
    result = CliRunner().invoke(app, ["simulate", "--participants", "2", "--db", url])
    assert result.exit_code != 0
    assert "already holds participants" in result.output and "Traceback" not in result.output


def test_runs_2_in_worker_processes_prints_power_and_writes_the_power_curve(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.app import app

    # four reach the draw in each run: enough for the mixed model to give a p
    report = tmp_path / "power.html"
    result = CliRunner().invoke(app, ["simulate", "--participants", "4", "--seed", "1", "--runs", "2", "--workers", "2",
                                      "--report", str(report)])  # fmt: skip
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("power of the primary analysis"))
    found = re.fullmatch(
        r"power of the primary analysis \(ITT mixed model, p < 0\.05\) with 4 randomized: (\d) of (\d) simulated "
        r"trials significant = (\d+)% \(95 % CI \d+%-\d+%\); (\d) failed \(effect 1\)", line
    )  # fmt: skip
    assert found is not None, line
    hits, counted, failed = int(found[1]), int(found[2]), int(found[4])
    assert counted + failed == 2 and hits <= counted
    html = report.read_text(encoding="utf-8")
    assert "Power (simulated trials)" in html and 'alt="power against the number randomized"' in html
    assert "nothing later could change its primary analysis" in html, "the report says the power runs stopped early"


def test_the_report_says_on_its_page_that_a_simulated_database_is_simulated(tmp_path: Path, monkeypatch) -> None:
    import asyncio
    from datetime import UTC, datetime

    from typer.testing import CliRunner

    from bot.cli.app import app
    from bot.measures.provenance import mark_simulated
    from bot.storage.database import Database

    async def database(name: str, simulated: bool) -> str:
        url = f"sqlite+aiosqlite:///{tmp_path / name}"
        db = Database(url)
        await db.upgrade()
        if simulated:
            settings = {"seed": 3, "participants": 54, "effect": 0.5, "adherence": 0.85, "dropout": 0.1}
            await mark_simulated(db, datetime(2026, 1, 5, tzinfo=UTC), settings)
        await db.dispose()
        return url

    for name, simulated in (("sim.sqlite3", True), ("real.sqlite3", False)):
        monkeypatch.setenv("ICBT_DATABASE_URL", asyncio.run(database(name, simulated)))
        out = tmp_path / f"{name}.html"
        result = CliRunner().invoke(app, ["report", "--out", str(out)])
        assert result.exit_code == 0, result.output
        html = out.read_text(encoding="utf-8")
        note = "Simulated data: every participant in this report is a synthetic person from `icbt simulate` (seed 3"
        assert (note in html) is simulated
        assert ("treatment effect 0.5 × the seed" in html) is simulated


def test_a_database_url_without_an_async_driver_is_one_readable_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.app import app

    for url in (f"sqlite:///{tmp_path / 'x.db'}", "not a url"):
        result = CliRunner().invoke(app, ["simulate", "--participants", "2", "--db", url])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output, result.output
        assert lines[0].startswith(f"simulate: --db {url!r} cannot be used (") and "sqlite+aiosqlite:///" in lines[0]
    result = CliRunner().invoke(app, ["simulate", "--participants", "2", "--db", "postgresql://sim:secret@db/trial"])
    assert result.exit_code == 1 and "'postgresql://sim:***@db/trial' cannot be used" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output
