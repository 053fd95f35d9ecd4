"""Answers that call for a response: replies, skipped fields, plausibility checks and reflections.

The content decides what depends on an answer (``bot/content/answers.py``); this module only applies
those decisions to a turn, so ``steps.py`` needs one call at each point an answer is stored or an entry
is complete.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.content.schema import Check, FieldSpec, Reflect, Reply, first_reply
from bot.engine.model import Frame, Outbound
from bot.engine.turn import Turn

CHECK_RIGHT, CHECK_CHANGE = "right", "change"
CHECKED = "@checked"  # draft key: the checks the participant confirmed for this entry
REDO = "@redo"  # draft key: a field is being answered again after a check; then back to the end


def reply_to(turn: Turn, replies: tuple[Reply, ...], value: object) -> None:
    """Say the first reply whose condition the stored value meets (nothing when none does)."""
    reply = first_reply(replies, value)
    if reply is not None:
        turn.say(turn.t(reply.text))


def next_shown(fields: tuple[FieldSpec, ...], start: int, answers: Mapping[str, object]) -> int:
    """The index of the first field from ``start`` on that is to be asked (``len(fields)`` when none is)."""
    for index in range(start, len(fields)):
        condition = fields[index].show_if
        if condition is None or condition.asks(answers):
            return index
    return len(fields)


def shown_fields(fields: tuple[FieldSpec, ...], answers: Mapping[str, object]) -> tuple[FieldSpec, ...]:
    """The fields that were asked in an entry (for its summary): those whose condition held."""
    return tuple(f for f in fields if f.show_if is None or f.show_if.asks(answers))


def open_check(checks: tuple[Check, ...], draft: Mapping[str, object]) -> int | None:
    """The index of the first violated check the participant has not yet confirmed, if any."""
    confirmed = draft.get(CHECKED) or []
    for index, check in enumerate(checks):
        if index not in confirmed and check.violated(draft):  # type: ignore[operator]
            return index
    return None


def check_prompt(turn: Turn, frame: Frame, check: Check) -> Outbound:
    rows = (
        (turn.button(frame, turn.msg("hooks.check_right"), CHECK_RIGHT),),
        (turn.button(frame, turn.msg("hooks.check_change"), CHECK_CHANGE),),
    )
    return Outbound(turn.t(check.text), rows)


def check_choice(turn: Turn, value: str, via_button: bool) -> str | None:
    """``right`` or ``change`` from a button or from the button's label typed; else ``None``."""
    if via_button and value in (CHECK_RIGHT, CHECK_CHANGE):
        return value
    folded = value.strip().casefold().strip(" .!")
    for choice, key in ((CHECK_RIGHT, "hooks.check_right"), (CHECK_CHANGE, "hooks.check_change")):
        if folded == turn.msg(key).casefold().strip(" .!"):
            return choice
    return None


def reflect(turn: Turn, reflections: tuple[Reflect, ...], answers: Mapping[str, object]) -> None:
    """Say how each ``after`` answer compares with its ``before`` answer, when both are numbers."""
    for item in reflections:
        before, after = answers.get(item.before), answers.get(item.after)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (before, after)):
            continue
        text = turn.t(item.pick(before, after))  # type: ignore[arg-type]
        turn.say(text.replace("{before}", _number(before)).replace("{after}", _number(after)))


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
