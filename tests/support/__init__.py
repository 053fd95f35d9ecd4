"""Test helpers: recording fakes of the outbound ports, and a participant driver for the engine."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import FakeClock
from bot.content.programme import Programme
from bot.engine import Effects, Inbound, Outbound, ParticipantState
from bot.features import build_engine


@dataclass
class RecordingTransport:
    """A channel that records what it was asked to send, and can be told to fail."""

    sent: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    fail_with: list[Exception] = field(default_factory=list)
    overview: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # each version, by chat

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        if self.fail_with:
            raise self.fail_with.pop(0)
        if payload.get("overview"):  # the pinned queue overview, edited in place: not a new message
            self.overview[chat_id].append(payload["text"])
            return "9999"
        self.sent[chat_id].append(payload)
        return str(sum(len(v) for v in self.sent.values()))

    def texts(self, chat_id: str) -> list[str]:
        return [p["text"] for p in self.sent[chat_id]]


class Participant:
    """Drives the engine directly (no database) as a participant would, on a fake clock."""

    def __init__(self, programme: Programme, clock: FakeClock, tz: str = "Europe/Stockholm") -> None:
        self.engine = build_engine(programme)
        self.clock = clock
        self.state = ParticipantState(code="P-TEST", language="en", timezone=tz)
        self.effects: list[Effects] = []

    @property
    def last(self) -> Effects:
        return self.effects[-1]

    @property
    def last_message(self) -> Outbound:
        return self.last.outbound[-1]

    def send(self, inbound: Inbound, now: datetime | None = None) -> Effects:
        # Like the service: the stored answers are read only when the engine asks for them.
        history = history_of(self) if self.engine.wants_history(inbound) else ()
        effects = self.engine.handle(self.state, inbound, now or self.clock.now(), history)
        self.effects.append(effects)
        return effects

    def command(self, name: str, args: str = "") -> Effects:
        return self.send(Inbound(kind="command", text=name, args=args))

    def type(self, text: str) -> Effects:
        return self.send(Inbound(kind="text", text=text))

    def press(self, label: str | None = None, index: int = 0) -> Effects:
        """Press a button of the most recent message that has buttons (by label, or the first)."""
        for effects in reversed(self.effects):
            for out in reversed(effects.outbound):
                buttons = [b for row in out.buttons for b in row]
                if not buttons:
                    continue
                if label is None:
                    return self.send(Inbound(kind="choice", text=buttons[index].data))
                for button in buttons:
                    if button.label == label:
                        return self.send(Inbound(kind="choice", text=button.data))
                raise AssertionError(f"no button {label!r} in {[b.label for b in buttons]}")
        raise AssertionError("no message with buttons yet")

    def tick(self) -> Effects:
        effects = self.engine.tick(self.state, self.clock.now())
        self.effects.append(effects)
        return effects

    def all_answers(self) -> list[Any]:
        return [a for e in self.effects for a in e.answers]

    def texts(self) -> list[str]:
        return [o.text for e in self.effects for o in e.outbound]

    def through_consent(self) -> None:
        """/start, the welcome pages and consent, as a participant who agrees."""
        self.command("start")
        while self.state.status == "onboarding":
            out = self.last_message
            labels = [b.label for row in out.buttons for b in row]
            if "I agree to take part" in labels:
                self.press("I agree to take part")
            else:
                self.press()


def auto_answer(p: Participant) -> None:
    """Give the current prompt a valid answer, the way a cooperative participant would."""
    out = p.last_message if p.last.outbound else None
    labels = [b.label for row in out.buttons for b in row] if out else []
    if "Continue ›" in labels:
        p.press("Continue ›")
    elif labels and labels != ["Skip"]:
        p.press()
    else:
        p.type("5")


def finish_current_module(p: Participant, limit: int = 400) -> None:
    module = p.state.frame.module if p.state.frame else None
    for _ in range(limit):
        if p.state.frame is None or p.state.frame.module != module:
            return
        auto_answer(p)
    raise AssertionError(f"module {module} did not finish in {limit} answers")


def history_of(p: Participant) -> list:
    """The participant's answers as storage would give them back (for /mywork)."""
    from bot.engine.model import StoredAnswer

    return [StoredAnswer(a.module, a.step, a.field, a.entry, a.value, p.clock.now()) for a in p.all_answers()]


def walk_to(p: Participant, step: str, limit: int = 80) -> None:
    """Answer cooperatively until the participant stands at ``step``."""
    for _ in range(limit):
        if p.state.frame is not None and p.state.frame.step == step:
            return
        auto_answer(p)
    raise AssertionError(f"step {step} not reached")
