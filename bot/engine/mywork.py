"""Earlier work stays reachable: /mywork shows the participant's own goals, plans and diaries and
lets them add to the recurring ones; /modules reopens a finished module.

Forms with the same step id in several modules (the activity plan and coping diary recur in weeks
4–9) are one list of work: entries from every week show together, and a new entry uses the newest
version of the form the participant has reached.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from bot.content.schema import FieldSpec, FormStep, Module
from bot.engine import calendar
from bot.engine.fields import show_value
from bot.engine.model import Button, Frame, StoredAnswer
from bot.engine.turn import Turn

if TYPE_CHECKING:
    from bot.engine.flow import Engine

WORK_TOKEN, ADD_TOKEN, REOPEN_TOKEN = "W", "A", "R"
BACK = "@back"
SHOW_LAST = 5


def work_kinds(engine: Engine, turn: Turn) -> OrderedDict[str, tuple[Module, str, tuple[FieldSpec, ...], bool]]:
    """Step id -> (newest module with it, title, fields, repeatable), for forms the participant reached."""
    kinds: OrderedDict[str, tuple[Module, str, tuple[FieldSpec, ...], bool]] = OrderedDict()
    reached = set(turn.state.announced) | set(turn.state.finished)
    for module in (*[engine.programme.modules[m] for m in engine.programme.onboarding], *engine.programme.scheduled):
        if module.id not in reached:
            continue
        for step in module.steps:
            if isinstance(step, FormStep):
                kinds[step.id] = (module, turn.t(step.title) or step.id, step.fields, step.repeatable)
        for prompt in module.daily:
            if isinstance(prompt.step, FormStep):
                kinds[prompt.id] = (module, turn.t(prompt.title), prompt.step.fields, False)
    return kinds


def show_menu(engine: Engine, turn: Turn) -> None:
    kinds = work_kinds(engine, turn)
    with_entries = {a.step for a in turn.history}
    shown = [(sid, title) for sid, (_, title, _, repeatable) in kinds.items() if sid in with_entries or repeatable]
    if not shown:
        turn.say(turn.msg("mywork.empty"))
        engine._resume(turn, full=False)
        return
    rows = tuple((Button(title, f"{WORK_TOKEN}|{sid}"),) for sid, title in shown)
    turn.say(turn.msg("mywork.intro"), (*rows, (Button(turn.msg("buttons.back"), f"{WORK_TOKEN}|{BACK}"),)))


def open_detour(engine: Engine, turn: Turn, token: str, value: str) -> None:
    if value == BACK:
        engine._resume(turn, full=False)
        return
    if token == REOPEN_TOKEN:
        _reopen(engine, turn, value)
        return
    kinds = work_kinds(engine, turn)
    if value not in kinds:
        turn.say(turn.msg("reprompt.stale_button"))
        engine._resume(turn, full=False)
        return
    module, title, fields, repeatable = kinds[value]
    if token == WORK_TOKEN:
        _show_entries(turn, value, title, fields, repeatable)
        return
    if not repeatable:
        turn.say(turn.msg("reprompt.stale_button"))
        return
    frame = Frame(module=module.id, step=value, detour="step")
    turn.state.frames.append(frame)
    engine._enter(turn, frame)


def _show_entries(turn: Turn, step_id: str, title: str, fields: tuple[FieldSpec, ...], repeatable: bool) -> None:
    entries: OrderedDict[str, list[StoredAnswer]] = OrderedDict()
    for answer in turn.history:
        if answer.step == step_id:
            entries.setdefault(answer.entry or "", []).append(answer)
    labels = {f.id: f for f in fields}
    blocks = []
    for answers in list(entries.values())[-SHOW_LAST:]:
        when = calendar.local_now(answers[0].answered_at, turn.state.timezone)
        lines = [f"{when:%a %-d %b}:"]
        for a in answers:
            fld = labels.get(a.field or "")
            if fld is not None:
                lines.append(f"• {turn.t(fld.label).splitlines()[0]} {show_value(turn, fld, a.value)}")
        blocks.append("\n".join(lines))
    text = turn.msg("mywork.entries", title=title, count=len(entries)) + "\n\n" + "\n\n".join(blocks)
    if not entries:
        text = turn.msg("mywork.none_yet", title=title)
    rows: list[tuple[Button, ...]] = []
    if repeatable:
        rows.append((Button(turn.msg("buttons.add_entry"), f"{ADD_TOKEN}|{step_id}"),))
    rows.append((Button(turn.msg("buttons.back"), f"{WORK_TOKEN}|{BACK}"),))
    turn.say(text, tuple(rows))


def show_modules(engine: Engine, turn: Turn) -> None:
    done = [engine.programme.modules[m] for m in turn.state.finished if engine.programme.modules[m].week is not None]
    if not done:
        turn.say(turn.msg("review.none"))
        engine._resume(turn, full=False)
        return
    rows = tuple((Button(turn.t(m.title), f"{REOPEN_TOKEN}|{m.id}"),) for m in done)
    turn.say(turn.msg("review.list"), (*rows, (Button(turn.msg("buttons.back"), f"{WORK_TOKEN}|{BACK}"),)))


def _reopen(engine: Engine, turn: Turn, module_id: str) -> None:
    if module_id not in turn.state.finished or module_id not in engine.programme.modules:
        turn.say(turn.msg("reprompt.stale_button"))
        return
    module = engine.programme.modules[module_id]
    turn.say(turn.msg("review.opened", title=turn.t(module.title)))
    frame = Frame(module=module.id, step=module.steps[0].id, detour="module")
    turn.state.frames.append(frame)
    engine._enter(turn, frame)
