"""Tidy CSV export of a ``TrialDataset``, with a data dictionary, and the reader that loads it back.

One file per kind of record, one row per observation, one column per variable; every column of every
file is described in ``data_dictionary.csv`` (meaning, type, allowed values, instrument and item), and
each questionnaire item gets its own row there too. ``read_export`` gives back an equal dataset,
which the tests use to prove nothing is lost.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from bot.content.schema import Instrument
from bot.measures.dataset import (
    AnswerRecord,
    DiaryRecord,
    ModuleProgressRecord,
    ParticipantRecord,
    ScoreRecord,
    TherapistContactRecord,
    TrialDataset,
)

DICTIONARY = "data_dictionary.csv"
INFO = "export_info.csv"
PROGRESS_FROM_ROWS = 5000  # a bar only when there is something to wait for


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | datetime | number | integer | boolean | json; a trailing ? = may be empty
    meaning: str
    allowed: str = ""


def _c(name: str, kind: str, meaning: str, allowed: str = "") -> Column:
    return Column(name, kind, meaning, allowed)


CODE = _c("code", "text", "pseudonymous participant code", "P-NNNN (randomized) or S-NNNN (screened out)")
FILES: dict[str, tuple[type, tuple[Column, ...]]] = {
    "participants.csv": (ParticipantRecord, (
        CODE,
        _c("arm", "text?", "randomized arm (from the trial's allocations table)", "treatment, control, empty = not randomized"),
        _c("status", "text", "where the person is in the trial", "applied, excluded, active, completed, dropped_out"),
        _c("applied_on", "date", "date of application (UTC)"),
        _c("consented_on", "date?", "date consent was given"),
        _c("randomized_on", "date?", "date of randomization"),
        _c("dropped_out_on", "date?", "date the person left the trial"),
        _c("exclusion_reason", "text?", "why an applicant was not included"),
    )),
    "characteristics.csv": (dict, (
        CODE,
        _c("name", "text", "baseline characteristic (Table II)",
           "age, pain_years, gender, education, sick_leave, pain_location, treatment_history, ..."),
        _c("value", "json", "its value as JSON: a number, a text, or a list of texts (several answers)"),
    )),
    "answers.csv": (AnswerRecord, (
        CODE,
        _c("module_id", "text", "module (or diary window) where the answer was given"),
        _c("step_id", "text", "step of the module; for a questionnaire the instrument's step"),
        _c("field_id", "text?", "form field or questionnaire item id (see the item rows below)"),
        _c("entry_id", "text?", "groups the fields of one entry; for a diary, the diary day"),
        _c("value", "json", "the answer as stored, JSON-encoded"),
        _c("answered_at", "datetime", "when it was answered (UTC, ISO 8601)"),
    )),
    "scores.csv": (ScoreRecord, (
        CODE,
        _c("instrument", "text", "questionnaire id (content/instruments)"),
        _c("module_id", "text", "administration: baseline, post, or the module of a symptom check"),
        _c("step_id", "text", "step where it was given"),
        _c("scale", "text", "total or subscale id (see the instrument rows below)"),
        _c("value", "number?", "the scale's score; empty when too many items were missing"),
        _c("band", "text?", "the score's band label, when the scale has bands"),
        _c("items_missing", "integer", "items of this scale left unanswered", "0 or more"),
        _c("prorated", "boolean", "score prorated from the answered items", "true, false"),
        _c("at", "datetime", "when the questionnaire was finished (UTC)"),
        _c("corrected", "boolean", "the value comes from a recorded correction (icbt participants correct), "
           "not from the first score; the audit log says who, when and why", "true, false"),
    )),
    "diary.csv": (DiaryRecord, (
        CODE,
        _c("module_id", "text", "diary window", "baseline, post"),
        _c("day", "date", "the diary day"),
        _c("day_index", "integer", "day of the window", "1-14"),
        _c("average_pain", "number?", "average pain that day", "0-10"),
        _c("worst_pain", "number?", "worst pain that day", "0-10"),
        _c("activity", "number?", "how much the person could do that day", "0-10"),
    )),
    "module_progress.csv": (ModuleProgressRecord, (
        CODE,
        _c("module_id", "text", "treatment module"),
        _c("week", "integer", "programme week of the module", "2-9"),
        _c("opened_at", "datetime", "when the module opened"),
        _c("completed_at", "datetime?", "when its last step was done; empty = not completed"),
    )),
    "therapist_time.csv": (TherapistContactRecord, (
        CODE,
        _c("at", "datetime", "when the therapist contact happened"),
        _c("kind", "text", "kind of contact", "message, feedback, call, alert"),
        _c("minutes", "number", "therapist minutes spent", ">= 0"),
        _c("week", "integer?", "programme week the minutes were for (0 = first baseline week)", "0-11"),
    )),
}  # fmt: skip


def _encode(kind: str, value: Any) -> str:
    base = kind.rstrip("?")
    if base == "json":
        return json.dumps(value, ensure_ascii=False)  # JSON null is not an empty cell
    if value is None:
        return ""
    if base == "boolean":
        return "true" if value else "false"
    if base in ("date", "datetime"):
        return value.isoformat()
    if base == "number":
        return repr(float(value))
    return str(value)


def _decode(kind: str, cell: str) -> Any:
    if cell == "" and kind.endswith("?"):
        return None
    base = kind.rstrip("?")
    decoders: dict[str, Callable[[str], Any]] = {
        "json": json.loads, "boolean": lambda c: c == "true", "date": date.fromisoformat,
        "datetime": datetime.fromisoformat, "number": float, "integer": int, "text": str,
    }  # fmt: skip
    return decoders[base](cell)


def _rows(dataset: TrialDataset) -> dict[str, Sequence[Any]]:
    characteristics = [
        {"code": p.code, "name": name, "value": list(value) if isinstance(value, tuple) else value}
        for p in dataset.participants
        for name, value in p.characteristics.items()
    ]
    return {
        "participants.csv": dataset.participants,
        "characteristics.csv": characteristics,
        "answers.csv": dataset.answers,
        "scores.csv": dataset.scores,
        "diary.csv": dataset.diary,
        "module_progress.csv": dataset.modules,
        "therapist_time.csv": dataset.contacts,
    }


def write_export(
    dataset: TrialDataset,
    out: Path,
    instruments: Mapping[str, Instrument],
    console: Console | None = None,
    show_progress: bool | None = None,
) -> list[Path]:
    """Write every CSV and the data dictionary into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    rows = _rows(dataset)
    total = sum(len(r) for r in rows.values())
    show = total >= PROGRESS_FROM_ROWS if show_progress is None else show_progress
    written: list[Path] = []
    with Progress(console=console, disable=not show, transient=False) as progress:
        task = progress.add_task("exporting", total=total)
        for name, (_, columns) in FILES.items():
            path = out / name
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow([c.name for c in columns])
                for record in rows[name]:
                    get = record.get if isinstance(record, dict) else lambda n, r=record: getattr(r, n)
                    writer.writerow([_encode(c.kind, get(c.name)) for c in columns])
                    progress.advance(task)
            written.append(path)
    written.append(
        _write_csv(
            out / INFO, ["key", "value"], [("pre_module", dataset.pre_module), ("post_module", dataset.post_module)]
        )
    )
    written.append(
        _write_csv(
            out / DICTIONARY,
            ["file", "column", "meaning", "type", "allowed_values", "instrument", "item"],
            dictionary_rows(instruments),
        )
    )
    return written


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def dictionary_rows(instruments: Mapping[str, Instrument]) -> list[tuple[str, ...]]:
    """Every column of every file, then one row per questionnaire item and per scale."""
    rows: list[tuple[str, ...]] = []
    for name, (_, columns) in FILES.items():
        for c in columns:
            kind = c.kind.rstrip("?") + (" (may be empty)" if c.kind.endswith("?") else "")
            rows.append((name, c.name, c.meaning, kind, c.allowed, "", ""))
    for instrument in sorted(instruments.values(), key=lambda i: i.id):
        title = instrument.title if isinstance(instrument.title, str) else next(iter(instrument.title.values()))
        for item in instrument.items:
            meaning = f"{title}, item {item.id}" + (" (reverse-scored)" if item.reverse else "")
            if item.weight:
                meaning += f", weighted by {item.weight}"
            rows.append(("answers.csv", "value", meaning, "integer", f"{item.min}-{item.max}", instrument.id, item.id))
        for scale in instrument.scales:
            how = {"sum": "sum", "mean": "mean", "weighted_mean": "importance-weighted mean"}[scale.method]
            items = ", ".join(i.id for i in instrument.scale_items(scale))
            meaning = (
                f"{scale.title}: {how} of {items}; prorated with up to {scale.max_missing} missing; "
                f"{scale.better} is better; reliable change uses sd {scale.sd}, r {scale.reliability}"
            )
            bands = ", ".join(f"{b.label} from {b.min:g}" for b in scale.bands)
            rows.append(("scores.csv", "value", meaning, "number", bands, instrument.id, scale.id))
    return rows


def read_export(folder: Path) -> TrialDataset:
    """Load an export written by ``write_export`` back into a ``TrialDataset``."""
    loaded: dict[str, list[Any]] = {}
    for name, (record_type, columns) in FILES.items():
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            values = [{c.name: _decode(c.kind, row[c.name]) for c in columns} for row in reader]
        loaded[name] = values if record_type is dict else [record_type(**v) for v in values]
    characteristics: dict[str, dict[str, Any]] = {}
    for row in loaded["characteristics.csv"]:
        value = tuple(row["value"]) if isinstance(row["value"], list) else row["value"]
        characteristics.setdefault(row["code"], {})[row["name"]] = value
    participants = tuple(
        ParticipantRecord(**{**p.__dict__, "characteristics": characteristics.get(p.code, {})})
        for p in loaded["participants.csv"]
    )
    with (folder / INFO).open(encoding="utf-8", newline="") as handle:
        info = {row["key"]: row["value"] for row in csv.DictReader(handle)}
    return TrialDataset(
        participants=participants,
        answers=tuple(loaded["answers.csv"]),
        scores=tuple(loaded["scores.csv"]),
        diary=tuple(loaded["diary.csv"]),
        modules=tuple(loaded["module_progress.csv"]),
        contacts=tuple(loaded["therapist_time.csv"]),
        pre_module=info["pre_module"],
        post_module=info["post_module"],
    )
