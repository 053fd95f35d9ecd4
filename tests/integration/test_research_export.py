"""The research export from the database: the randomised only, a screening log without personal data,
a person's own words only when asked for, the draw and the withdrawal in, every column described."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.app import app
from bot.measures.db_loader import load_dataset
from bot.measures.export import write_export
from bot.measures.free_text import closed_places
from bot.storage.models import Answer
from tests.support.trial import build_every_path

WORDS = "MARKER-words my neighbour Anna drove me"  # a person's own words, as a diary note or a question


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def _answers(db, clock, pid: int) -> None:
    """A diary day with a note, a question for the therapist, and a choice: closed and free answers."""
    rows = [
        ("baseline", "pain_diary", "average_pain", 6),
        ("baseline", "pain_diary", "note", WORDS),
        ("baseline", "ask_question", None, WORDS),
        ("week02", "compass_heading", "life_area", "health"),
        ("week02", "compass_heading", "what_matters", WORDS),
    ]
    async with db.transaction() as session:
        for module, step, field, value in rows:
            entry = "pain_diary:2026-01-06" if step == "pain_diary" else None
            session.add(Answer(participant_id=pid, module_id=module, step_id=step, field_id=field, entry_id=entry,
                               value=value, content_version="x", answered_at=clock.now()))  # fmt: skip


async def _export(db, programme, clock, out: Path, include_free_text: bool = False) -> None:
    dataset = await load_dataset(db, programme, now=clock.now())
    write_export(dataset, out, programme.instruments, show_progress=False, closed=closed_places(programme),
                 include_free_text=include_free_text)  # fmt: skip


async def test_the_export_holds_the_randomised_and_a_screening_log_of_the_rest(db, programme, clock, tmp_path):
    ids = await build_every_path(db, programme, clock)
    code = {path: f"P-{pid:04d}" for path, pid in ids.items()}
    await _answers(db, clock, ids["not_eligible"])  # a screened-out applicant's welcome answers stay out
    clock.advance(timedelta(weeks=5))
    await _export(db, programme, clock, tmp_path)

    people = {row["code"]: row for row in read(tmp_path / "participants.csv")}
    assert set(people) == {code[p] for p in ("withdrawn", "lost", "completed", "crossed_over", "ongoing")}
    for row in people.values():
        assert row["stratum"] in ("sex=female", "sex=male") and row["allocated_at"].startswith("2026-01-05")
    assert people[code["crossed_over"]]["stratum"] == "sex=male"
    withdrawn = people[code["withdrawn"]]
    assert (withdrawn["withdrawal"], withdrawn["withdrawn_on"], withdrawn["outcome"]) == ("keep_data", "2026-01-05",
                                                                                          "withdrawn")  # fmt: skip
    assert people[code["ongoing"]]["withdrawal"] == people[code["ongoing"]]["withdrawn_on"] == ""

    screening = {row["code"]: row for row in read(tmp_path / "screening.csv")}
    assert {c: (r["stage"], r["reason"]) for c, r in screening.items()} == {
        code["not_eligible"]: ("not_eligible", "not eligible: age"),
        code["excluded"]: ("excluded", "excluded at interview"),
        code["declined"]: ("declined", "declined consent"),
        code["to_interview"]: ("to_interview", ""),
    }
    assert all(r["applied_on"] == "2026-01-05" and r["note"] == "" for r in screening.values())
    everything = "".join(path.read_text(encoding="utf-8") for path in tmp_path.glob("*.csv"))
    for personal in ("phone, evenings", "prefers face to face", "MARKER", code["withdrawn_removed"]):
        assert personal not in everything, personal
    assert {row["code"] for row in read(tmp_path / "answers.csv")} <= set(people)


async def test_free_text_is_left_out_unless_asked_for(db, programme, clock, tmp_path):
    ids = await build_every_path(db, programme, clock)
    await _answers(db, clock, ids["completed"])
    await _export(db, programme, clock, tmp_path / "plain")
    kept = {(r["module_id"], r["step_id"], r["field_id"]) for r in read(tmp_path / "plain" / "answers.csv")}
    assert {("baseline", "pain_diary", "average_pain"), ("week02", "compass_heading", "life_area")} <= kept
    assert not {("baseline", "pain_diary", "note"), ("baseline", "ask_question", ""),
                ("week02", "compass_heading", "what_matters")} & kept  # fmt: skip
    assert read(tmp_path / "plain" / "diary.csv")[0]["average_pain"] == "6.0", "the diary's numbers stay"
    info = {r["key"]: r["value"] for r in read(tmp_path / "plain" / "export_info.csv")}
    assert info["free_text"] == "left_out"

    await _export(db, programme, clock, tmp_path / "full", include_free_text=True)
    words = [r for r in read(tmp_path / "full" / "answers.csv") if "MARKER" in r["value"]]
    assert len(words) == 3
    screening = {r["stage"]: r["note"] for r in read(tmp_path / "full" / "screening.csv")}
    assert screening["excluded"] == "prefers face to face", "the interviewer's words, on request"


async def test_every_exported_column_is_in_the_dictionary_and_back(db, programme, clock, tmp_path):
    await build_every_path(db, programme, clock)
    await _export(db, programme, clock, tmp_path)
    written = set()
    for path in tmp_path.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            written |= {(path.name, column) for column in next(csv.reader(handle))}
    described = {(r["file"], r["column"]) for r in read(tmp_path / "data_dictionary.csv")}
    assert written == described
    assert {name for name, _ in written} >= {"participants.csv", "screening.csv", "answers.csv", "export_info.csv"}


def test_icbt_export_takes_include_free_text(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ICBT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    for flags, said in (([], "left_out"), (["--include-free-text"], "included")):
        out = tmp_path / said
        result = CliRunner().invoke(app, ["export", "--out", str(out), "--synthetic", "1", *flags])
        assert result.exit_code == 0, result.output
        assert "screening.csv" in result.output
        assert {r["key"]: r["value"] for r in read(out / "export_info.csv")}["free_text"] == said
