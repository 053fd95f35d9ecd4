"""`icbt report` and `icbt export` from the command line, on the synthetic trial and on the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.app import app
from bot.measures.db_loader import load_dataset
from bot.measures.export import read_export
from bot.measures.scoring import score
from bot.measures.store import store_score
from bot.storage.database import Database
from bot.storage.models import Answer, Participant

AT = datetime(2026, 1, 20, 18, 0, tzinfo=UTC)


def test_icbt_report_and_export_on_the_synthetic_trial(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ICBT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}")
    runner = CliRunner()
    result = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html"), "--synthetic", "1"])
    assert result.exit_code == 0, result.output
    assert "report written to" in result.output and "54 randomized" in result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Synthetic data (seed 1)" in html and "Table III" in html
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "out"), "--synthetic", "1"])
    assert result.exit_code == 0, result.output
    assert len(read_export(tmp_path / "out").randomized()) == 54


def test_icbt_report_takes_reliable_changes_sd_from_the_instrument_when_asked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ICBT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}")
    runner = CliRunner()
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path / "r.html"), "--synthetic", "1", "--rc-sd", "instrument"]
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "7.30 / 0.8" in html and "stratified by sex" in html
    wrong = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html"), "--synthetic", "1", "--rc-sd", "seed"])
    assert wrong.exit_code == 1
    assert wrong.output.strip().splitlines()[-1] == "report: --rc-sd must be 'sample' or 'instrument', not 'seed'"


def test_an_unwritable_report_path_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["report", "--out", str(blocker / "r.html"), "--synthetic", "1"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"report: {blocker / 'r.html'}: cannot write")


def test_a_database_without_tables_is_one_line_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ICBT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    result = CliRunner().invoke(app, ["export", "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert result.output.strip().splitlines() == [
        "database: cannot read the trial's tables (OperationalError); run `icbt db upgrade` first"
    ]


async def test_the_database_loader_reads_participants_answers_scores_and_diary(db: Database, programme) -> None:
    async with db.transaction() as session:
        person = Participant(
            code="P-0007", channel="test", chat_id="7", language="en", timezone="Europe/Stockholm", status="active",
            paused=False, unreachable=False, position={}, created_at=AT, updated_at=AT,
        )  # fmt: skip
        session.add(person)
        await session.flush()
        for n in range(1, 10):
            session.add(Answer(participant_id=person.id, module_id="baseline", step_id="phq9", field_id=f"q{n}",
                               entry_id=None, value=1, content_version="v", answered_at=AT))  # fmt: skip
        for field, value in (("average_pain", 6), ("worst_pain", 8), ("activity_today", 4), ("note", "a text")):
            session.add(Answer(participant_id=person.id, module_id="baseline", step_id="entry", field_id=field,
                               entry_id="pain_diary:2026-01-20", value=value, content_version="v", answered_at=AT))  # fmt: skip
        phq9 = score(programme.instruments["phq9"], {f"q{n}": 1 for n in range(1, 10)})
        await store_score(session, person.id, "baseline", "phq9", phq9, "v", AT)
    dataset = await load_dataset(db, programme, allocations={"P-0007": ("treatment", AT.date())})
    assert [(p.code, p.arm, p.randomized_on) for p in dataset.participants] == [("P-0007", "treatment", AT.date())]
    assert len(dataset.answers) == 13 and {a.value for a in dataset.answers} >= {1, "a text"}
    assert [(s.instrument, s.scale, s.value, s.band) for s in dataset.scores] == [("phq9", "total", 9.0, "mild")]
    assert [(d.day_index, d.average_pain, d.worst_pain, d.activity) for d in dataset.diary] == [(1, 6.0, 8.0, 4.0)]


async def test_a_waiting_list_participant_past_post_who_crossed_over_is_not_a_drop_out(db: Database, programme) -> None:
    """Still "active" long after the arm's last week, because the programme opened after the waiting
    list (crossover): finished post means completed; without post it is a drop-out."""
    later = AT + timedelta(weeks=20)
    async with db.transaction() as session:
        for code, finished in (("P-0001", ["baseline", "post"]), ("P-0002", ["baseline"])):
            person = Participant(
                code=code, channel="test", chat_id=code, language="en", timezone="Europe/Stockholm",
                status="active", paused=False, unreachable=False, created_at=AT, updated_at=AT,
                position={"finished": finished, "arm": "waiting_list", "crossover": "accepted"},
            )  # fmt: skip
            session.add(person)
            await session.flush()
            session.add(Answer(participant_id=person.id, module_id="week02", step_id="intro", field_id=None,
                               entry_id=None, value="ok", content_version="v1", answered_at=later))  # fmt: skip
    allocations = {"P-0001": ("control", AT.date()), "P-0002": ("control", AT.date())}
    dataset = await load_dataset(db, programme, allocations=allocations)
    status = {p.code: p.status for p in dataset.participants}
    assert status == {"P-0001": "completed", "P-0002": "dropped_out"}
