"""One event's working context: state, time, language and the effects being collected.

Every concern module of the engine (steps, progress, dailies, detours, commands) works on a ``Turn`` and
talks to the others only through their public functions, so none of them needs the ``Engine`` class.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from bot.content.programme import Programme
from bot.content.schema import LocalText, QuestionStep, Step
from bot.engine.model import AnswerRecord, Button, Effects, Frame, Outbound, ParticipantState, Policy, StoredAnswer
from bot.engine.rules import FeatureRules

ASK = "@ask"  # the frame of a question the participant started with /ask
TECH_HELP = "techhelp"  # the step of that frame when it asks what is not working (/techhelp)


def frame_token(frame: Frame) -> str:
    """A short fingerprint of the exact prompt a button belongs to.

    Buttons carry it so that a tap on an old message cannot answer a newer question.
    """
    key = f"{frame.module}/{frame.daily}/{frame.day}/{frame.step}/{frame.stage}/{frame.part}"
    return hashlib.blake2s(key.encode(), digest_size=4).hexdigest()


class _NoRules:
    """A turn built outside an ``Engine`` (a schedule query) asks no feature rule; if it ever does,
    this says so plainly instead of failing somewhere later."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"this turn has no feature rules ({name}): build the engine with bot.features")


@dataclass
class Turn:
    programme: Programme
    state: ParticipantState
    now: datetime
    effects: Effects = field(default_factory=Effects)
    history: Sequence[StoredAnswer] = ()
    policy: Policy = field(default_factory=Policy)
    attachment: dict[str, Any] | None = None  # a photo or document that came with this event's text
    rules: FeatureRules = field(default_factory=lambda: cast(FeatureRules, _NoRules()))

    @property
    def lang(self) -> str:
        return self.programme.language(self.state.language)

    def t(self, value: LocalText | None) -> str:
        return self.programme.text(value, self.lang)

    def step_text(self, step: Step) -> str:
        """The step's words for this participant's arm (its ``text_for_arm``), else its ``text``."""
        arm = self.state.arm
        return self.t(step.text_for_arm.get(arm, step.text) if arm else step.text)

    def msg(self, key: str, **params: Any) -> str:
        return self.programme.msg(self.lang, key, **params)

    def say(self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), image: str | None = None) -> None:
        if text or buttons:
            self.effects.outbound.append(Outbound(text=text, buttons=buttons, image=image))

    def send(self, out: Outbound) -> None:
        self.effects.outbound.append(out)

    def store(self, frame: Frame, field_id: str | None, value: Any) -> None:
        step = f"{frame.daily}" if frame.daily else frame.step
        self.effects.answers.append(AnswerRecord(frame.module, step, field_id, value, frame.entry))
        if frame.detour != "module":
            tally(self.state, frame.module, step, field_id, value)

    def working_days(self, days: int) -> str:
        """ "within one working day" / "within 2 working days", for promises that must stay true."""
        return self.msg("time.working_day" if days == 1 else "time.working_days", days=days)

    def audit(self, action: str, **detail: Any) -> None:
        self.effects.audit.append((action, detail))

    def button(self, frame: Frame, label: str, value: str) -> Button:
        return Button(label=label, data=f"{frame_token(frame)}|{value}")

    def step_of(self, frame: Frame) -> Step:
        """The content step a frame stands on (a daily prompt's step, or the /ask question)."""
        if frame.module == ASK:
            prompt = "techhelp.prompt" if frame.step == TECH_HELP else "question.ask_prompt"
            return QuestionStep(id=frame.step, kind="question", text=self.msg(prompt))
        if frame.daily:
            return self.programme.daily(frame.module, frame.daily).step
        return self.programme.step(frame.module, frame.step)


def tally(state: ParticipantState, module: str, step: str, field_id: str | None, value: Any) -> None:
    """Running counts of a module's week (exercises done, numbers given), for the weekly report.

    Kept in the state so the report needs no read of the answer history."""
    log = state.log.setdefault(module, {"done": {}, "numbers": {}})
    if field_id == "done" and isinstance(value, bool):
        if value:
            log["done"][step] = log["done"].get(step, 0) + 1
    elif isinstance(value, int | float) and not isinstance(value, bool):
        log["numbers"].setdefault(f"{step}.{field_id}", []).append(value)


def untally(state: ParticipantState, module: str, step: str, field_id: str, value: Any) -> None:
    """Take back a number counted by ``tally`` (an answer changed after a check counts once, as its new value)."""
    numbers = state.log.get(module, {}).get("numbers", {}).get(f"{step}.{field_id}", [])
    if value in numbers:
        del numbers[len(numbers) - 1 - numbers[::-1].index(value)]
