"""The weekly report's timing and what it tells the therapist.

A module's ``report`` step is not asked while the participant reads (``is_report_step`` lets progress
skip it); it is offered near the end of the week, re-asked when late, and after the last reminder the
therapist is alerted. Completing it sends the therapist one summary to read in a minute, and the
participant's question (if any) as a question of its own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any

from bot.content.programme import Programme
from bot.content.schema import FormStep, Module
from bot.engine import calendar
from bot.engine.model import Button, Frame, Outbound, ParticipantState, RelayRecord
from bot.engine.turn import Turn

REPORT_TOKEN = "RP"
NOW, LATER = "now", "later"
QUESTION_FIELD = "question"


def is_report_step(module: Module, step_id: str) -> bool:
    return module.report is not None and module.report.step == step_id


def first_offer_at(turn: Turn, module: Module) -> datetime:
    assert module.report is not None and turn.state.start_date is not None
    day = calendar.module_open_day(turn.state.start_date, module) + timedelta(days=module.report.day)
    return calendar.at_local(day, calendar.parse_hhmm(module.report.at), turn.state.timezone)


def evening(turn: Turn, module: Module, day: date) -> datetime:
    assert module.report is not None
    return calendar.at_local(day, calendar.parse_hhmm(module.report.at), turn.state.timezone)


def pending(turn: Turn) -> list[Module]:
    """Finished modules whose report is neither done nor given up on (alerted)."""
    return pending_of(turn.programme, turn.state)


def pending_of(programme: Programme, state: ParticipantState) -> list[Module]:
    return [
        programme.modules[m]
        for m in state.finished
        if programme.modules[m].report is not None
        and not state.reports.get(m, {}).get("done")
        and not state.reports.get(m, {}).get("alerted")
    ]


def next_action_at(turn: Turn, module: Module) -> datetime:
    """When this report is next offered, re-asked, or (after the last reminder) alerted."""
    record = turn.state.reports.get(module.id)
    if record is None or "next" not in record:
        return first_offer_at(turn, module)
    return datetime.fromisoformat(record["next"])


def offer(turn: Turn, module: Module) -> None:
    """Offer (or re-offer) the report now and plan the next reminder."""
    assert module.report is not None
    state = turn.state
    record = state.reports.setdefault(module.id, {"offers": 0, "reminders": 0})
    record["offers"] += 1
    today = calendar.local_date(turn.now, state.timezone)
    record["next"] = evening(turn, module, today + timedelta(days=module.report.remind_after_days)).isoformat()
    key = "report.offer" if record["offers"] == 1 else "report.reminder"
    data = f"{REPORT_TOKEN}|{module.id}|"
    rows = ((Button(turn.msg("buttons.start_diary"), data + NOW),), (Button(turn.msg("buttons.later"), data + LATER),))
    turn.send(Outbound(turn.msg(key, title=turn.t(module.title)), rows,
                       dedup_key=f"report:{state.code}:{module.id}:{record['offers']}"))  # fmt: skip


def due(turn: Turn, module: Module) -> None:
    """Time has come for this report's next action: an offer, a reminder, or the alert."""
    assert module.report is not None
    record = turn.state.reports.setdefault(module.id, {"offers": 0, "reminders": 0})
    if record["offers"] > 0 and not record.pop("later", False):
        if record["reminders"] >= module.report.max_reminders:
            record["alerted"] = True
            title = turn.t(module.title)
            text = turn.programme.msg(turn.programme.spec.default_language, "report.staff_late", title=title)
            turn.effects.relays.append(RelayRecord(source=f"report:{module.id}", text=text, kind="alert",
                                                   data={"module": module.id, "week": module.week}))  # fmt: skip
            turn.audit("report_late_alert", module=module.id)
            return
        record["reminders"] += 1
    offer(turn, module)


def put_off(turn: Turn, module: Module) -> None:
    """ "Later": ask again the next evening; that is the participant's choice, not a reminder."""
    record = turn.state.reports.setdefault(module.id, {"offers": 1, "reminders": 0})
    today = calendar.local_date(turn.now, turn.state.timezone)
    record["next"], record["later"] = evening(turn, module, today + timedelta(days=1)).isoformat(), True
    turn.say(turn.msg("report.later"))


def on_module_finished(turn: Turn, module: Module) -> None:
    """A participant who finishes after the report's day gets it at once."""
    if module.report is not None and first_offer_at(turn, module) <= turn.now:
        offer(turn, module)


def complete(turn: Turn, frame: Frame) -> None:
    """The report form is done: mark it, tell the therapist, and promise only what the site keeps."""
    module = turn.programme.modules[frame.module]
    step = turn.programme.step(module.id, frame.step)
    assert isinstance(step, FormStep)
    record = turn.state.reports.setdefault(module.id, {"offers": 0, "reminders": 0})
    record["done"] = True
    fields = dict(frame.draft)
    lang = turn.programme.spec.default_language  # staff read the site's language
    words = [
        f"• {turn.programme.text(f.label, lang).splitlines()[0]} {fields[f.id]}"
        for f in step.fields
        if f.kind == "text" and fields.get(f.id) and f.id != QUESTION_FIELD
    ]
    choices = [
        f"• {turn.programme.text(f.label, lang).splitlines()[0]} {_label(f, fields.get(f.id), turn, lang)}"
        for f in step.fields
        if f.kind != "text" and fields.get(f.id) is not None
    ]
    homework, diary = summarise(turn, module, lang)
    parts = [turn.programme.msg(lang, "report.staff_header", title=turn.programme.text(module.title, lang),
                                week=module.week)]  # fmt: skip
    parts += [*choices, *homework, *diary]
    if words:
        parts += [turn.programme.msg(lang, "report.staff_words"), *words]
    data: dict[str, Any] = {"module": module.id, "week": module.week, "fields": fields,
                            "homework": turn.state.log.get(module.id, {}).get("done", {})}  # fmt: skip
    turn.effects.relays.append(RelayRecord(source=f"{module.id}.{step.id}", text="\n".join(parts), kind="report",
                                           data=data))  # fmt: skip
    question = str(fields.get(QUESTION_FIELD) or "").strip()
    if question:
        turn.effects.relays.append(RelayRecord(source=f"{module.id}.{step.id}.{QUESTION_FIELD}", text=question))
    turn.say(turn.msg("report.thanks", within=turn.working_days(turn.policy.feedback_days)))


def _label(fld: Any, value: Any, turn: Turn, lang: str) -> str:
    for option in fld.options:
        if option.id == value:
            return turn.programme.text(option.label, lang)
    return str(value)


def summarise(turn: Turn, module: Module, lang: str) -> tuple[list[str], list[str]]:
    """Homework done and the week's numbers (diaries, practice logs), from the running tallies."""
    log = turn.state.log.get(module.id, {"done": {}, "numbers": {}})
    homework = [
        turn.programme.msg(lang, "report.staff_done", what=_step_title(turn, module, step_id, lang), times=count)
        for step_id, count in log.get("done", {}).items()
    ]
    numbers = []
    for key, values in log.get("numbers", {}).items():
        if values:
            numbers.append(turn.programme.msg(lang, "report.staff_numbers", what=key, n=len(values),
                                              mean=f"{fmean(values):.1f}", low=min(values), high=max(values)))  # fmt: skip
    return homework, numbers


def _step_title(turn: Turn, module: Module, step_id: str, lang: str) -> str:
    for step in module.steps:
        if step.id == step_id:
            return turn.programme.text(step.title, lang) or step_id
    for prompt in module.daily:
        if prompt.id == step_id:
            return turn.programme.text(prompt.title, lang)
    return step_id
