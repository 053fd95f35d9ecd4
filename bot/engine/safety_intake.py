"""What the application asks for the participant's safety, kept where the safety net reads it.

Application questions (``content/trial/trial.yaml``) may be marked ``keeps:`` (the answer is kept in
the participant's state: ``country`` picks the crisis lines of their country, ``safety_phone`` and
``doctor`` are shown to staff in every safety alert) or ``warning:`` (a yes to a warning sign of
serious illness: the participant is told at once how soon to get medical help, with the emergency
number for an emergency sign, and the interviewer gets a task in the participant's topic).
"""

from __future__ import annotations

from typing import Any

from bot.content.trial_schema import ApplicationQuestion
from bot.engine import risk
from bot.engine.model import RelayRecord
from bot.engine.turn import Turn

OTHER = "other"  # a country option that is not listed: the site's own crisis lines


def keep(turn: Turn, question: ApplicationQuestion, value: Any) -> None:
    """Keep a safety answer in the state, or answer a warning sign; other questions pass by."""
    state = turn.state
    if question.keeps == "country":
        code = str(value).upper() if value not in (None, "", OTHER) else None
        state.country = code if code in turn.programme.crisis_lines else None
    elif question.keeps in ("safety_phone", "doctor") and value not in (None, ""):
        key = "phone" if question.keeps == "safety_phone" else "doctor"
        state.safety_contact = {**(state.safety_contact or {}), key: str(value)}
    if question.warning is not None and value is True:
        _warning(turn, question)


def _warning(turn: Turn, question: ApplicationQuestion) -> None:
    level = question.warning
    resources = turn.programme.crisis_lines.get(turn.state.country or "") or risk.site(turn).resources
    turn.say(turn.msg(f"medical.warning_{level}", emergency_number=resources.emergency_number))
    text = turn.msg("medical.staff_task", level=turn.msg(f"medical.level_{level}"), question=turn.t(question.text))
    turn.effects.relays.append(RelayRecord(source=f"medical:{level}", text=text, kind="alert",
                                           data={"level": level, "question": question.id}))  # fmt: skip
    turn.audit("medical_warning_sign", level=level, question=question.id)
