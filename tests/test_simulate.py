"""The trial simulator: synthetic people through the real engine, service and trial service, on the
simulated clock, into real storage (SQLite and PostgreSQL); then the database loader and the export.

Small on purpose (two people reach the draw, one is screened out): the whole trial of 54 runs with
``icbt simulate --participants 54 --seed 1`` (docs/example-report.html).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import yaml
from rich.console import Console
from sqlalchemy import select

from bot.content.loader import load_programme
from bot.measures.db_loader import load_dataset
from bot.measures.export import write_export
from bot.simulate.overlay import PLACEHOLDER, write_overlay
from bot.simulate.people import SimConfig
from bot.simulate.run import arm_programme, simulate
from bot.storage.models import Answer, Participant
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_trial import TrialAllocation, TrialApplication

CONTENT = Path(__file__).resolve().parent.parent / "content"


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


def test_the_waiting_list_runs_the_baseline_and_post_weeks_only(programme) -> None:
    waiting = arm_programme(programme, "waiting_list")
    assert [m.id for m in waiting.scheduled] == ["baseline", "post"]
    assert [m.id for m in arm_programme(programme, "treatment").scheduled] == [m.id for m in programme.scheduled]


async def test_a_small_simulated_trial_fills_every_table_and_exports_every_answer(db, tmp_path: Path) -> None:
    result = await simulate(db, CONTENT, SimConfig(participants=2, excluded=1, seed=1))
    assert result.applied == 3
    async with db.reading() as session:
        people = list(await session.scalars(select(Participant)))
        allocations = list(await session.scalars(select(TrialAllocation)))
        applications = list(await session.scalars(select(TrialApplication)))
        answers = list(await session.scalars(select(Answer)))
        scores = list(await session.scalars(select(ScoreRow)))
    assert len(people) == 3 and len(applications) == 3
    assert Counter(a.arm for a in allocations) == Counter({"treatment": 1, "waiting_list": 1})
    assert result.randomized == {"treatment": 1, "waiting_list": 1}
    # the primary outcome was asked (with the made-up wording) and scored at baseline, for both arms
    baseline = {(s.participant_id, s.instrument) for s in scores if s.module_id == "baseline"}
    for allocation in allocations:
        for instrument in ("csq_catastrophizing", "phq9", "hads", "qoli", "mpi_s", "pairs"):
            assert (allocation.participant_id, instrument) in baseline
    diary_days = {(a.participant_id, a.entry_id) for a in answers if a.step_id == "pain_diary"}
    assert len(diary_days) >= 2 * 7, "most diary days of the baseline window were filled in"
    treated = next(a.participant_id for a in allocations if a.arm == "treatment")
    waiting = next(a.participant_id for a in allocations if a.arm == "waiting_list")
    modules = {(a.participant_id, a.module_id) for a in answers}
    assert (treated, "week02") in modules and not any(pid == waiting and m.startswith("week") for pid, m in modules)

    programme = load_programme(CONTENT)
    dataset = await load_dataset(db, programme)
    arms = {p.code: p.arm for p in dataset.participants}
    codes = {p.id: p.code for p in people}
    assert arms[codes[treated]] == "treatment" and arms[codes[waiting]] == "control"
    screened = [p for p in dataset.participants if p.arm is None]
    assert len(screened) == 1 and screened[0].status == "excluded" and screened[0].exclusion_reason

    write_export(dataset, tmp_path / "out", programme.instruments, console=Console(quiet=True))
    with (tmp_path / "out" / "answers.csv").open(encoding="utf-8", newline="") as handle:
        exported = Counter(
            (r["code"], r["module_id"], r["step_id"], r["field_id"] or None, r["entry_id"] or None,
             json.dumps(json.loads(r["value"])))
            for r in csv.DictReader(handle)
        )  # fmt: skip
    stored = Counter(
        (codes[a.participant_id], a.module_id, a.step_id, a.field_id, a.entry_id, json.dumps(a.value)) for a in answers
    )
    assert stored == exported, "every stored answer appears once in answers.csv with the same value"
    assert sum(stored.values()) == len(answers) > 500


def test_simulate_refuses_a_database_that_holds_participants(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from typer.testing import CliRunner

    from bot.cli import app
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
