"""Earlier work stays reachable: /mywork shows the participant's own goals, plans and diaries and
lets them add to the recurring ones; /modules reopens a finished module to read it again.

Forms with the same step id in several modules (the activity plan and coping diary recur in weeks
4–9) are one list of work: entries from every week show together, and a new entry uses the newest
version of the form the participant has reached. A detour is a frame on top of the stack; when it ends
the participant is back at the step underneath.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from bot.content.schema import FieldSpec, FormStep, Module
from bot.engine import calendar
from bot.engine.fields import show_value
from bot.engine.model import Button, Frame, Inbound, StoredAnswer
from bot.engine.progress import enter, resume
from bot.engine.turn import Turn

WORK_TOKEN, ADD_TOKEN, REOPEN_TOKEN = "W", "A", "R"
TOKENS = (WORK_TOKEN, ADD_TOKEN, REOPEN_TOKEN)
BACK = "@back"
SHOW_LAST = 5


class WorkKind(NamedTuple):
    module: Module  # the newest module with this form that the participant has reached
    title: str
    fields: tuple[FieldSpec, ...]
    repeatable: bool


def wants_history(inbound: Inbound) -> bool:
    """Only /mywork and its buttons read the participant's stored answers."""
    return (inbound.kind == "command" and inbound.text.lower() == "mywork") or (
        inbound.kind == "choice" and inbound.text.startswith(WORK_TOKEN + "|")
    )


def work_kinds(turn: Turn) -> OrderedDict[str, WorkKind]:
    """Step id -> its form, for the forms the participant has reached."""
    programme = turn.programme
    kinds: OrderedDict[str, WorkKind] = OrderedDict()
    reached = set(turn.state.announced) | set(turn.state.finished)
    for module in (*[programme.modules[m] for m in programme.onboarding], *programme.scheduled):
        if module.id not in reached:
            continue
        for step in module.steps:
            if isinstance(step, FormStep):
                kinds[step.id] = WorkKind(module, turn.t(step.title) or step.id, step.fields, step.repeatable)
        for prompt in module.daily:
            if isinstance(prompt.step, FormStep):
                kinds[prompt.id] = WorkKind(module, turn.t(prompt.title), prompt.step.fields, False)
    return kinds


def show_menu(turn: Turn) -> None:
    kinds = work_kinds(turn)
    with_entries = {a.step for a in turn.history}
    shown = [(sid, kind.title) for sid, kind in kinds.items() if sid in with_entries or kind.repeatable]
    if not shown:
        turn.say(turn.msg("mywork.empty"))
        resume(turn, full=False)
        return
    rows = tuple((Button(title, f"{WORK_TOKEN}|{sid}"),) for sid, title in shown)
    turn.say(turn.msg("mywork.intro"), (*rows, (Button(turn.msg("buttons.back"), f"{WORK_TOKEN}|{BACK}"),)))


def open_detour(turn: Turn, token: str, value: str) -> None:
    """A /mywork or /modules button: show entries, add an entry, reopen a module, or go back."""
    if value == BACK:
        resume(turn, full=False)
        return
    if token == REOPEN_TOKEN:
        reopen(turn, value)
        return
    kinds = work_kinds(turn)
    if value not in kinds:
        turn.say(turn.msg("reprompt.stale_button"))
        resume(turn, full=False)
        return
    kind = kinds[value]
    if token == WORK_TOKEN:
        show_entries(turn, value, kind)
        return
    if not kind.repeatable:
        turn.say(turn.msg("reprompt.stale_button"))
        return
    frame = Frame(module=kind.module.id, step=value, detour="step")
    turn.state.frames.append(frame)
    enter(turn, frame)


def show_entries(turn: Turn, step_id: str, kind: WorkKind) -> None:
    entries: OrderedDict[str, list[StoredAnswer]] = OrderedDict()
    for answer in turn.history:
        if answer.step == step_id:
            entries.setdefault(answer.entry or "", []).append(answer)
    labels = {f.id: f for f in kind.fields}
    blocks = []
    for answers in reversed(list(entries.values())[-SHOW_LAST:]):  # the newest first
        when = calendar.local_now(answers[0].answered_at, turn.state.timezone)
        lines = [f"{when:%a %-d %b}:"]
        latest = {a.field: a for a in answers}  # an answer changed after a check supersedes the first
        for a in latest.values():
            fld = labels.get(a.field or "")
            if fld is not None:
                lines.append(f"• {turn.t(fld.label).splitlines()[0]} {show_value(turn, fld, a.value)}")
        blocks.append("\n".join(lines))
    key = "mywork.entries_one" if len(entries) == 1 else "mywork.entries"
    text = turn.msg(key, title=kind.title, count=len(entries), shown=len(blocks)) + "\n\n" + "\n\n".join(blocks)
    if not entries:
        text = turn.msg("mywork.none_yet", title=kind.title)
    rows: list[tuple[Button, ...]] = []
    if kind.repeatable:
        rows.append((Button(turn.msg("buttons.add_entry"), f"{ADD_TOKEN}|{step_id}"),))
    rows.append((Button(turn.msg("buttons.back"), f"{WORK_TOKEN}|{BACK}"),))
    turn.say(text, tuple(rows))


def show_modules(turn: Turn) -> None:
    programme = turn.programme
    done = [programme.modules[m] for m in turn.state.finished if programme.modules[m].week is not None]
    if not done:
        turn.say(turn.msg("review.none"))
        resume(turn, full=False)
        return
    rows = tuple((Button(turn.t(m.title), f"{REOPEN_TOKEN}|{m.id}"),) for m in done)
    turn.say(turn.msg("review.list"), (*rows, (Button(turn.msg("buttons.back"), f"{WORK_TOKEN}|{BACK}"),)))


def reopen(turn: Turn, module_id: str) -> None:
    if module_id not in turn.state.finished or module_id not in turn.programme.modules:
        turn.say(turn.msg("reprompt.stale_button"))
        return
    module = turn.programme.modules[module_id]
    turn.say(turn.msg("review.opened", title=turn.t(module.title)))
    frame = Frame(module=module.id, step=module.steps[0].id, detour="module")
    turn.state.frames.append(frame)
    enter(turn, frame)
