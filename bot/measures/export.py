"""The research export: tidy CSV of the randomised, a screening log of the rest, and a data dictionary.

One file per kind of record, one row per observation, one column per variable
(``bot/measures/export_columns.py``). What a trial may publish, and nothing more:

- the research files hold **randomised** participants only, and none who withdrew asking for their
  data to be removed (they are counted, per arm, in ``export_info.csv`` and in the CONSORT flow);
- ``screening.csv`` keeps what the CONSORT flow needs about everyone not randomised (code, date of
  application, stage reached, the reason in fixed words) and no personal data;
- a person's own words (text answers, notes, questions, the interviewer's note) are left out unless
  the export is asked to include free text (``bot/measures/free_text.py`` says which answers are).

``for_research`` is the dataset as the export holds it; ``read_export`` gives back exactly that, which
the tests use to prove nothing else is lost.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from bot.content.schema import Instrument
from bot.measures.dataset import ParticipantRecord, TrialDataset
from bot.measures.export_columns import (
    DICTIONARY,
    DICTIONARY_COLUMNS,
    FILES,
    INFO,
    INFO_COLUMNS,
    SCREENING,
    SCREENING_COLUMNS,
    Column,
    dictionary_rows,
    every_file,
)
from bot.measures.free_text import Place, is_free_text
from bot.trial.flow import DATASET_STATUS

__all__ = ["DICTIONARY", "FILES", "INFO", "SCREENING", "every_file", "for_research", "read_export", "write_export"]
PROGRESS_FROM_ROWS = 5000  # a bar only when there is something to wait for
REMOVE_DATA = "remove_data"


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


def for_research(
    dataset: TrialDataset, closed: Collection[Place] = frozenset(), include_free_text: bool = False
) -> TrialDataset:
    """The dataset as the export holds it: the randomised who did not ask for removal, in full; the
    people never randomised as their screening line only; free text only when asked for."""
    kept = {p.code for p in dataset.participants if p.arm is not None and p.withdrawal != REMOVE_DATA}
    people = [replace(p, exclusion_reason=None, exclusion_note=None) for p in dataset.participants if p.code in kept]
    people += [_screening_line(p, include_free_text) for p in dataset.participants if p.arm is None]
    return replace(
        dataset,
        participants=tuple(sorted(people, key=lambda p: p.code)),
        answers=tuple(
            a for a in dataset.answers if a.code in kept and (include_free_text or not is_free_text(a, closed))
        ),
        scores=tuple(s for s in dataset.scores if s.code in kept),
        diary=tuple(d for d in dataset.diary if d.code in kept),
        modules=tuple(m for m in dataset.modules if m.code in kept),
        contacts=tuple(c for c in dataset.contacts if c.code in kept),
    )


def _screening_line(p: ParticipantRecord, include_free_text: bool) -> ParticipantRecord:
    """What the screening log keeps of a person never randomised."""
    return ParticipantRecord(
        code=p.code, arm=None, status=p.status, applied_on=p.applied_on, outcome=p.outcome,
        exclusion_reason=p.exclusion_reason, exclusion_note=p.exclusion_note if include_free_text else None,
    )  # fmt: skip


def _rows(dataset: TrialDataset) -> dict[str, Sequence[Any]]:
    characteristics = [
        {"code": p.code, "name": name, "value": list(value) if isinstance(value, tuple) else value}
        for p in dataset.randomized()
        for name, value in p.characteristics.items()
    ]
    screened = [
        {"code": p.code, "applied_on": p.applied_on, "stage": p.outcome or p.status, "reason": p.exclusion_reason,
         "note": p.exclusion_note}
        for p in dataset.participants if p.arm is None
    ]  # fmt: skip
    return {
        "participants.csv": dataset.randomized(),
        "characteristics.csv": characteristics,
        "answers.csv": dataset.answers,
        "scores.csv": dataset.scores,
        "diary.csv": dataset.diary,
        "module_progress.csv": dataset.modules,
        "therapist_time.csv": dataset.contacts,
        SCREENING: screened,
    }


def _info(dataset: TrialDataset, include_free_text: bool) -> list[tuple[str, str]]:
    left_out = Counter(p.arm for p in dataset.participants if p.arm is not None and p.withdrawal == REMOVE_DATA)
    return [
        ("pre_module", dataset.pre_module),
        ("post_module", dataset.post_module),
        ("free_text", "included" if include_free_text else "left_out"),
        *((f"left_out_remove_data_{arm}", str(left_out[arm])) for arm in ("treatment", "control")),
    ]


def write_export(
    dataset: TrialDataset,
    out: Path,
    instruments: Mapping[str, Instrument],
    console: Console | None = None,
    show_progress: bool | None = None,
    *,
    closed: Collection[Place] = frozenset(),
    include_free_text: bool = False,
) -> list[Path]:
    """Write the research files, the screening log, the export's facts and the data dictionary into
    ``out``; return the files written. ``closed``: the answer places that hold no free text
    (``closed_places(programme)``); any other text is left out unless ``include_free_text``."""
    out.mkdir(parents=True, exist_ok=True)
    research = for_research(dataset, closed, include_free_text)
    rows = _rows(research)
    total = sum(len(r) for r in rows.values())
    show = total >= PROGRESS_FROM_ROWS if show_progress is None else show_progress
    written: list[Path] = []
    with Progress(console=console, disable=not show, transient=False) as progress:
        task = progress.add_task("exporting", total=total)
        for name, columns in every_file().items():
            if name not in rows:
                continue
            written.append(_write_records(out / name, columns, rows[name], lambda: progress.advance(task)))
    written.append(_write_csv(out / INFO, [c.name for c in INFO_COLUMNS], _info(dataset, include_free_text)))
    names = [c.name for c in DICTIONARY_COLUMNS]
    written.append(_write_csv(out / DICTIONARY, names, dictionary_rows(instruments)))
    return written


def _write_records(path: Path, columns: Sequence[Column], records: Sequence[Any], step: Callable[[], None]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.name for c in columns])
        for record in records:
            get = record.get if isinstance(record, dict) else lambda n, r=record: getattr(r, n)
            writer.writerow([_encode(c.kind, get(c.name)) for c in columns])
            step()
    return path


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read(path: Path, columns: Sequence[Column]) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{c.name: _decode(c.kind, row[c.name]) for c in columns} for row in csv.DictReader(handle)]


def read_export(folder: Path) -> TrialDataset:
    """Load an export written by ``write_export`` back: equal to ``for_research`` of what was written."""
    loaded: dict[str, list[Any]] = {}
    for name, (record_type, columns) in FILES.items():
        values = _read(folder / name, columns)
        loaded[name] = values if record_type is dict else [record_type(**v) for v in values]
    characteristics: dict[str, dict[str, Any]] = {}
    for row in loaded["characteristics.csv"]:
        value = tuple(row["value"]) if isinstance(row["value"], list) else row["value"]
        characteristics.setdefault(row["code"], {})[row["name"]] = value
    randomised = [
        ParticipantRecord(**{**p.__dict__, "characteristics": characteristics.get(p.code, {})})
        for p in loaded["participants.csv"]
    ]
    screened = [
        ParticipantRecord(code=row["code"], arm=None, status=DATASET_STATUS.get(row["stage"], row["stage"]),
                          applied_on=row["applied_on"], outcome=row["stage"] if row["stage"] in DATASET_STATUS else None,
                          exclusion_reason=row["reason"], exclusion_note=row["note"])
        for row in _read(folder / SCREENING, SCREENING_COLUMNS)
    ]  # fmt: skip
    with (folder / INFO).open(encoding="utf-8", newline="") as handle:
        info = {row["key"]: row["value"] for row in csv.DictReader(handle)}
    return TrialDataset(
        participants=tuple(sorted(randomised + screened, key=lambda p: p.code)),
        answers=tuple(loaded["answers.csv"]),
        scores=tuple(loaded["scores.csv"]),
        diary=tuple(loaded["diary.csv"]),
        modules=tuple(loaded["module_progress.csv"]),
        contacts=tuple(loaded["therapist_time.csv"]),
        pre_module=info["pre_module"],
        post_module=info["post_module"],
    )
