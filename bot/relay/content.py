"""The relay's content: staff texts, feedback templates and the call checklist (``content/relay/<lang>.yaml``).

Validated into an immutable value; every problem is reported as ``file: path: problem`` through
``ContentError``, the same way the programme's content is.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ContentError

STAFF_KEYS: dict[str, frozenset[str]] = {
    key: frozenset(names.split())
    for key, names in {
        "question": "code week where text due therapist",
        "free": "code week text due therapist",
        "report": "code week homework diary words due therapist",
        "urgent": "code text found contact",
        "concern": "code week text found due therapist contact",
        "paused": "code reason",
        "contact": "phone doctor",
        "paused_header": "",
        "escalate_urgent": "code age contact",
        "oncall": "code age",
        "released": "code therapist",
        "not_paused": "code",
        "urgent_repeat": "code age",
        "alert": "code week text",
        "interview": "code text therapist",
        "plain": "code kind text",
        "unreachable": "",
        "nudge": "therapist kind code due",
        "escalate": "code kind age due therapist",
        "delivery_failed": "code reason",
        "delivered_copy": "code",
        "note_saved": "code",
        "time_logged": "code week minutes before",
        "time_measured": "minutes code",
        "ack": "therapist paused",
        "ack_paused": "",
        "nothing_to_ack": "",
        "assigned": "code therapist",
        "call_task": "code therapist own checklist",
        "call_done": "code therapist",
        "task_done_button": "",
        "stall_task": "code days module step therapist",
        "task_done": "code therapist",
        "task_already": "code",
        "no_call_task": "code",
        "no_task": "code kind",
        "technical_task": "code text therapist",
        "queue_header": "count",
        "queue_group_urgent": "",
        "queue_group_alert": "",
        "queue_group_overdue": "",
        "queue_group_feedback": "",
        "queue_group_answer": "",
        "queue_group_task": "",
        "queue_page": "page pages next",
        "queue_line": "code kind age therapist due late",
        "queue_late": "",
        "queue_empty": "",
        "caseload_line": "therapist count",
        "caseload_participant": "code week state waiting",
        "caseload_paused": "since",
        "caseload_status": "status",
        "unassigned": "codes",
        "unknown_participant": "code",
        "unknown_therapist": "name names",
        "usage": "usage",
        "no_topic": "usage",
        "private_refused": "",
        "confirm_exclude": "code reason",
        "confirm_exclude_yes": "code",
        "confirm_cancel": "",
        "confirm_stale": "",
        "confirm_cancelled": "",
        "confirm_done": "",
        "help_header": "",
        "help_line": "usage",
        "help_footer": "",
        "unknown_command": "name",
        "unroutable": "",
        "kept": "code",
        "send_button": "code",
        "send_done": "code",
        "send_already": "code",
        "send_gone": "",
        "correction_sent": "code",
        "template_unknown": "name names",
        "template_draft": "title code text",
        "no_goals": "",
        "no_diary": "",
        "diary_summary": "days pain",
        "diary_pain": "mean",
        "homework_none": "",
        "week_title": "code week module why",
        "week_why_report": "",
        "week_why_overdue": "",
        "week_reading": "state",
        "week_reading_finished": "",
        "week_reading_reading": "",
        "week_reading_not_opened": "",
        "week_reading_none": "",
        "week_skipped": "titles",
        "week_report_heading": "day",
        "week_answer": "label answer",
        "week_forms_heading": "",
        "week_forms_none": "",
        "week_form": "title day",
        "week_daily_form": "title days labels",
        "week_daily_entry": "day answers",
        "week_practice_heading": "",
        "week_practice_none": "",
        "week_practice": "title days minutes how",
        "week_practice_how": "changes",
        "week_practice_short": "title days",
        "week_diary_heading": "",
        "week_diary_none": "",
        "week_diary_days": "days average worst",
        "week_diary_chart": "first average worst",
        "week_diary_note": "day text",
        "week_messages_heading": "",
        "week_message": "kind day text",
        "week_footer": "code due therapist",
        "week_usage": "",
        "week_none": "code week",
        "answers_none": "code form",
        "answers_header": "code title count",
        "caseload_risk": "risk",
        "overview_header": "when",
        "week_chart_title": "code week",
        "week_chart_axis": "",
        "week_chart_average": "",
        "week_chart_worst": "",
        "dropout_level_high": "",
        "dropout_level_medium": "",
        "dropout_level_low": "",
        "dropout_summary": "level reasons",
        "dropout_silent": "days",
        "dropout_reports": "count",
        "dropout_diary": "days",
        "dropout_module": "days",
        "dropout_pain": "change",
        "dropout_unanswered": "days",
        "dropout_digest_header": "",
        "dropout_digest_line": "code therapist risk",
        "dropout_digest_none": "",
        "dropout_digest_footer": "",
    }.items()
}
TEMPLATE_FIELDS = frozenset({"code", "week", "module", "goals", "homework", "practice", "diary", "therapist"})


class _Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)


class _RelayFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    staff: dict[str, str]
    templates: dict[str, _Template] = Field(min_length=1)
    call_checklist: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    text: str


@dataclass(frozen=True)
class RelayContent:
    staff: Mapping[str, str]
    templates: Mapping[str, Template]
    call_checklist: tuple[str, ...]

    def text(self, key: str, **params: Any) -> str:
        return self.staff[key].format(**params)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_relay_content(root: Path, language: str = "en") -> RelayContent:
    """Read and check ``root/relay/<language>.yaml``; raise ``ContentError`` listing every problem."""
    file = root / "relay" / f"{language}.yaml"
    if not file.exists():
        file = root / "relay" / "en.yaml"
    shown = str(file)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError:
        raise ContentError([f"{shown}: (file): not found"]) from None
    except yaml.YAMLError as exc:
        raise ContentError([f"{shown}: (file): not valid YAML: {exc}"]) from None
    try:
        parsed = _RelayFile.model_validate(data)
    except ValidationError as exc:
        problems = [f"{shown}: {'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors()]
        raise ContentError(problems) from None
    problems = _check(shown, parsed)
    if problems:
        raise ContentError(problems)
    templates = {name: Template(name, t.title, t.text.strip()) for name, t in parsed.templates.items()}
    return RelayContent(dict(parsed.staff), templates, tuple(parsed.call_checklist))


def _check(shown: str, parsed: _RelayFile) -> list[str]:
    problems = [f"{shown}: staff.{key}: missing" for key in STAFF_KEYS if key not in parsed.staff]
    for key, text in parsed.staff.items():
        if key not in STAFF_KEYS:
            problems.append(f"{shown}: staff.{key}: unknown key")
            continue
        try:
            unknown = placeholders(text) - STAFF_KEYS[key]
        except ValueError as exc:
            problems.append(f"{shown}: staff.{key}: {exc}")
            continue
        if unknown:
            problems.append(f"{shown}: staff.{key}: unknown placeholder {{{sorted(unknown)[0]}}}")
    for name, template in parsed.templates.items():
        try:
            unknown = placeholders(template.text) - TEMPLATE_FIELDS
        except ValueError as exc:
            problems.append(f"{shown}: templates.{name}.text: {exc}")
            continue
        if unknown:
            problems.append(
                f"{shown}: templates.{name}.text: unknown placeholder {{{sorted(unknown)[0]}}} "
                f"(use {', '.join(sorted(TEMPLATE_FIELDS))})"
            )
    return problems
