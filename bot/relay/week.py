"""A participant's week as the therapist needs it to write feedback (pure: stored answers in, a value out).

The weekly report post, ``/week P-0002 4`` and the ``/tpl`` drafts all read this one value, so the
post and the draft can never disagree about what was done. Everything is built from the stored
answers and the programme's content: each form's answers under the labels the participant saw,
practice days and minutes, the pain diary's days with average and worst pain, the week's questions
and alerts, and how far the module was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any

from bot.content.programme import Programme
from bot.content.schema import ChoiceStep, ExerciseStep, FieldSpec, FormStep, Module, TextStep
from bot.engine import calendar

PAIN_FIELDS = ("average_pain", "worst_pain")
ANSWERING = (FormStep, ExerciseStep, ChoiceStep, TextStep)


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer (``answers`` table), as the week needs it."""

    module: str
    step: str
    field: str | None
    entry: str | None
    value: Any
    at: datetime


@dataclass(frozen=True)
class FilledForm:
    """One filling-in of a form: its title, the local day, and (label, answer) pairs in the form's order."""

    step: str
    title: str
    day: date
    answers: tuple[tuple[str, str], ...]
    daily: bool = False  # a daily prompt's entry (one of several that week)


@dataclass(frozen=True)
class Practice:
    """An exercise over the week: on which days, how many minutes, and how it went in the log's words."""

    title: str
    days: tuple[date, ...]
    minutes: int
    how: tuple[str, ...]


@dataclass(frozen=True)
class PainDiary:
    days: tuple[tuple[date, float | None, float | None], ...]  # (day, average, worst) for each filled day
    first: date  # the week's first day, for the chart's seven columns
    notes: tuple[tuple[date, str], ...] = ()  # the participant's own notes, by day

    @property
    def average(self) -> float | None:
        values = [a for _, a, _ in self.days if a is not None]
        return fmean(values) if values else None

    @property
    def worst(self) -> float | None:
        values = [w for _, _, w in self.days if w is not None]
        return max(values) if values else None


@dataclass(frozen=True)
class Message:
    kind: str  # question | free | alert | safety
    text: str
    at: datetime


@dataclass(frozen=True)
class WeekView:
    code: str
    week: int
    module_id: str | None
    module_title: str
    first: date
    reading: str  # "finished" | "reading" | "not opened" | "none"
    skipped: tuple[str, ...]  # titles of tasks with no answer at all
    report: FilledForm | None
    forms: tuple[FilledForm, ...]
    practice: tuple[Practice, ...]
    diary: PainDiary
    messages: tuple[Message, ...] = field(default=())

    @property
    def homework_titles(self) -> list[str]:
        """Forms filled in this week (each title once, in order), the weekly report left out."""
        return list(dict.fromkeys(f.title for f in self.forms))


def module_for_week(programme: Programme, week: int) -> Module | None:
    for module in programme.modules.values():
        if module.week == week and module.steps:
            return module
    return None


def week_range(start: date, week: int) -> tuple[date, date]:
    """The week's first local day and the day after its last."""
    first = start + timedelta(days=7 * week)
    return first, first + timedelta(days=7)


def build_week(
    programme: Programme,
    *,
    code: str,
    week: int,
    start: date,
    timezone: str,
    language: str,
    rows: Sequence[AnswerRow],
    finished: Iterable[str],
    current: str | None,
    messages: Sequence[Message] = (),
) -> WeekView:
    """The week ``week`` (programme week, as in the modules' ``week``) of one participant.

    ``rows`` are the module's own answers plus any pain diary answers of the week's days, oldest
    first; a later row for the same field of the same entry replaces an earlier one (a changed answer).
    ``current`` is the module the participant stands in now, if any.
    """
    module = module_for_week(programme, week)
    first, after = week_range(start, week)
    lang = programme.language(language)
    latest = _latest(rows)
    own = [r for r in latest if module is not None and r.module == module.id]
    report_step = module.report.step if module is not None and module.report is not None else None
    forms, report = [], None
    for filled in _forms(programme, module, own, timezone, lang):
        if filled.step == report_step:
            report = filled
        else:
            forms.append(filled)
    pain_entries = {(r.module, r.step, r.entry) for r in latest if r.field in PAIN_FIELDS
                    and first <= _day(r, timezone) < after}  # fmt: skip
    diary_rows = [r for r in latest if (r.module, r.step, r.entry) in pain_entries]
    reading = "none"
    if module is not None:
        reading = "finished" if module.id in set(finished) else "reading" if current == module.id else "not opened"
    answered = {r.step for r in own}
    skipped = tuple(
        programme.text(s.title, lang) or s.id
        for s in (module.steps if module is not None else ())
        if isinstance(s, FormStep | ExerciseStep) and s.id != report_step and s.id not in answered
    )
    return WeekView(
        code=code, week=week, module_id=module.id if module else None,
        module_title=programme.text(module.title, lang) if module else "", first=first, reading=reading,
        skipped=skipped if reading == "finished" else (), report=report, forms=tuple(forms),
        practice=tuple(_practice(programme, module, own, timezone, lang)),
        diary=_diary(diary_rows, timezone, first), messages=tuple(messages),
    )  # fmt: skip


def _latest(rows: Sequence[AnswerRow]) -> list[AnswerRow]:
    by_key: dict[tuple[str, str, str | None, str | None], AnswerRow] = {}
    for row in rows:
        by_key[(row.module, row.step, row.entry, row.field)] = row
    return list(by_key.values())


def _day(row: AnswerRow, timezone: str) -> date:
    """The day an entry is for: a daily entry names it (``prompt:2026-01-12``), else the local answer day."""
    if row.entry and ":" in row.entry:
        try:
            return date.fromisoformat(row.entry.rsplit(":", 1)[1])
        except ValueError:
            pass
    return calendar.local_date(row.at, timezone)


def _specs(programme: Programme, module: Module, step_id: str) -> tuple[str, Any] | None:
    """(title, step) of a module step or a daily prompt's step, by the id answers are stored under."""
    for step in module.steps:
        if step.id == step_id:
            return (programme.text(step.title, programme.spec.default_language) if step.title else step.id), step
    for prompt in module.daily:
        if prompt.id == step_id:
            return programme.text(prompt.title, programme.spec.default_language), prompt.step
    return None


def find_form(programme: Programme, wanted: str) -> list[tuple[Module, str, str]]:
    """Every (module, step id, title) a therapist may mean by ``wanted``: a form's id or its title, any case.

    A daily form (a prompt's entry) is known by the prompt's id and title."""
    key = wanted.strip().casefold()
    lang = programme.spec.default_language
    found = []
    for module in programme.modules.values():
        candidates = [(s.id, s.title, s) for s in module.steps] + [(p.id, p.title, p.step) for p in module.daily]
        for step_id, title, step in candidates:
            text = programme.text(title, lang) if title else step_id
            if isinstance(step, FormStep) and key in (step_id.casefold(), text.casefold()):
                found.append((module, step_id, text))
    return found


def form_entries(
    programme: Programme, module: Module, rows: Sequence[AnswerRow], timezone: str, language: str
) -> list[FilledForm]:
    """Each filling-in of the module's forms in ``rows`` (latest answers only), oldest first."""
    return _forms(programme, module, _latest(rows), timezone, programme.language(language), pain_too=True)


def _forms(
    programme: Programme,
    module: Module | None,
    rows: list[AnswerRow],
    timezone: str,
    lang: str,
    pain_too: bool = False,
) -> list[FilledForm]:
    if module is None:
        return []
    groups: dict[tuple[str, str | None], list[AnswerRow]] = {}
    for row in sorted(rows, key=lambda r: r.at):
        groups.setdefault((row.step, row.entry), []).append(row)
    out = []
    for (step_id, _), group in groups.items():
        found = _specs(programme, module, step_id)
        if found is None or not isinstance(found[1], FormStep):
            continue
        step: FormStep = found[1]
        if not pain_too and any(f.id in PAIN_FIELDS for f in step.fields):
            continue  # the pain diary has a section of its own
        values = {r.field: r.value for r in group}
        pairs = tuple(
            (_label(programme, f, lang), _value(programme, f, values[f.id], lang))
            for f in step.fields
            if values.get(f.id) not in (None, "")
        )
        if pairs:
            title = programme.text(step.title, lang) or found[0]
            daily = any(p.id == step_id for p in module.daily)
            out.append(FilledForm(step_id, title, _day(group[0], timezone), pairs, daily))
    return out


def _practice(
    programme: Programme, module: Module | None, rows: list[AnswerRow], timezone: str, lang: str
) -> list[Practice]:
    if module is None:
        return []
    by_title: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r.at):
        found = _specs(programme, module, row.step)
        if found is None or not isinstance(found[1], ExerciseStep):
            continue
        step: ExerciseStep = found[1]
        title = programme.text(step.title, lang) or found[0]
        bucket = by_title.setdefault(title, {"days": set(), "minutes": 0, "entries": {}})
        entry = bucket["entries"].setdefault((row.step, row.entry), {})
        entry[row.field] = row.value
        entry["_day"] = _day(row, timezone)
    out = []
    for title, bucket in by_title.items():
        days, minutes, how = set(), 0, []
        for values in bucket["entries"].values():
            if values.get("done") is False and len(values) <= 2:
                continue  # "not now": no practice that day
            days.add(values["_day"])
            if isinstance(values.get("minutes"), int | float):
                minutes += int(values["minutes"])
            before, after = _before_after(values)
            if before is not None and after is not None:
                how.append(f"{values['_day']:%a} {before:g}→{after:g}")
        if days:
            out.append(Practice(title, tuple(sorted(days)), minutes, tuple(how)))
    return out


def _before_after(values: dict[str, Any]) -> tuple[float | None, float | None]:
    """A log's before/after pair (``tension_before``/``tension_after`` and the like)."""
    before = next((v for k, v in values.items() if isinstance(k, str) and k.endswith("_before")), None)
    after = next((v for k, v in values.items() if isinstance(k, str) and k.endswith("_after")), None)
    ok = isinstance(before, int | float) and isinstance(after, int | float)
    return (float(before), float(after)) if ok else (None, None)


def _diary(rows: list[AnswerRow], timezone: str, first: date) -> PainDiary:
    days: dict[date, dict[str, float]] = {}
    notes: list[tuple[date, str]] = []
    for row in sorted(rows, key=lambda r: r.at):
        day = _day(row, timezone)
        if isinstance(row.value, int | float) and not isinstance(row.value, bool):
            days.setdefault(day, {})[str(row.field)] = float(row.value)
        elif isinstance(row.value, str) and row.value.strip():
            notes.append((day, row.value.strip()))
    filled = tuple((d, v.get("average_pain"), v.get("worst_pain")) for d, v in sorted(days.items()))
    return PainDiary(filled, first, tuple(sorted(notes, key=lambda n: n[0])))


def _label(programme: Programme, spec: FieldSpec, lang: str) -> str:
    return programme.text(spec.label, lang).strip()


def _value(programme: Programme, spec: FieldSpec, value: Any, lang: str) -> str:
    """An answer in words: a choice by its label, a scale with its range, text as typed."""
    if spec.options:
        chosen = value if isinstance(value, list) else [value]
        labels = {o.id: programme.text(o.label, lang) for o in spec.options}
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    if spec.kind == "scale" and isinstance(value, int | float) and spec.max is not None:
        return f"{value:g} of {spec.max:g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()
