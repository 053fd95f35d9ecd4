"""The export: tidy CSV files that round-trip what a trial may publish, and a data dictionary for every column."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.console import Console

from bot.content.programme import Programme
from bot.measures.dataset import AnswerRecord, ParticipantRecord, TrialDataset
from bot.measures.export import FILES, SCREENING, every_file, for_research, read_export, write_export
from bot.measures.synthetic import synthetic_trial

AT = datetime(2026, 2, 3, 18, 30, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def trial(programme: Programme) -> TrialDataset:
    return synthetic_trial(programme.instruments, seed=1)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_round_trips_the_whole_synthetic_trial(trial: TrialDataset, programme: Programme, tmp_path: Path):
    write_export(trial, tmp_path, programme.instruments, show_progress=False)
    back = read_export(tmp_path)
    assert back == for_research(trial)
    assert back.randomized() == trial.randomized(), "the randomised come back whole"
    assert len(back.answers) == len(trial.answers) > 10000, "no free text in the synthetic trial: nothing left out"
    screened = [p for p in back.participants if p.arm is None]
    assert len(screened) == 38 and all(p.exclusion_reason and p.outcome for p in screened)


def test_awkward_answers_survive_the_round_trip(programme: Programme, tmp_path: Path):
    person = ParticipantRecord(
        code="P-0001", arm="treatment", status="active", applied_on=date(2026, 1, 5),
        characteristics={"age": 41.0, "gender": "woman", "treatment_history": ("chiropractor",)},
    )  # fmt: skip
    odd = [
        'a text, with commas; "quotes"\nand a new line',
        "ÅÄÖ – émoji 🙂",
        "",
        0,
        -3,
        7.25,
        None,
        ["several", "choices"],
        {"nested": {"value": 1}},
        "12",  # a number-looking text stays a text
    ]
    answers = tuple(
        AnswerRecord("P-0001", "week02", "goals", f"f{i}", "entry-1" if i % 2 else None, value, AT)
        for i, value in enumerate(odd)
    )
    dataset = TrialDataset(participants=(person,), answers=answers)
    write_export(dataset, tmp_path, programme.instruments, show_progress=False, include_free_text=True)
    back = read_export(tmp_path)
    assert back == dataset
    assert [a.value for a in back.answers] == odd
    assert back.participants[0].characteristics["treatment_history"] == ("chiropractor",)  # a list of one stays a list


def test_files_are_tidy_with_one_header_row(trial: TrialDataset, programme: Programme, tmp_path: Path):
    write_export(trial, tmp_path, programme.instruments, show_progress=False)
    for name, columns in every_file().items():
        with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        assert header == [c.name for c in columns], name
    scores = read_csv(tmp_path / "scores.csv")
    catastrophizing = [r for r in scores if r["instrument"] == "csq" and r["scale"] == "catastrophizing"]
    assert {r["module_id"] for r in catastrophizing} == {"baseline", "post"}
    participants = read_csv(tmp_path / "participants.csv")
    assert {r["arm"] for r in participants} == {"treatment", "control"}, "the randomised only"
    assert {r["stratum"] for r in participants} == {"sex=female", "sex=male"}
    screening = read_csv(tmp_path / SCREENING)
    assert {r["stage"] for r in screening} == {"not_eligible", "excluded"} and all(r["reason"] for r in screening)


def test_the_data_dictionary_describes_every_column_and_every_item(
    trial: TrialDataset, programme: Programme, tmp_path: Path
):
    write_export(trial, tmp_path, programme.instruments, show_progress=False)
    dictionary = read_csv(tmp_path / "data_dictionary.csv")
    described = {(r["file"], r["column"]) for r in dictionary}
    written = set()
    for path in tmp_path.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            written |= {(path.name, column) for column in next(csv.reader(handle))}
    assert written == described, "every column written is described, and every column described is written"
    assert {name for name, _ in written} == set(every_file()) > set(FILES)
    assert all(r["meaning"] and r["type"] for r in dictionary)
    items = {(r["instrument"], r["item"]) for r in dictionary if r["file"] == "answers.csv" and r["item"]}
    for instrument in programme.instruments.values():
        assert {(instrument.id, i.id) for i in instrument.items} <= items
    q9 = next(r for r in dictionary if (r["instrument"], r["item"]) == ("phq9", "q9") and r["file"] == "answers.csv")
    assert q9["allowed_values"] == "0-3"
    sat1 = next(r for r in dictionary if (r["instrument"], r["item"]) == ("qoli", "sat1"))
    assert sat1["allowed_values"] == "-3-3" and "weighted by imp1" in sat1["meaning"]
    phq9 = next(
        r for r in dictionary if r["file"] == "scores.csv" and (r["instrument"], r["item"]) == ("phq9", "total")
    )
    assert "severe from 20" in phq9["allowed_values"] and "lower is better" in phq9["meaning"]


def test_a_long_export_shows_a_progress_bar(trial: TrialDataset, programme: Programme, tmp_path: Path):
    shown = io.StringIO()
    write_export(
        trial, tmp_path / "a", programme.instruments, console=Console(file=shown, force_terminal=True, width=100)
    )
    assert "exporting" in shown.getvalue() and "100%" in shown.getvalue()
    quiet = io.StringIO()
    small = TrialDataset(participants=trial.participants[:2])
    write_export(small, tmp_path / "b", programme.instruments, console=Console(file=quiet, force_terminal=True))
    assert quiet.getvalue() == ""
