"""The local console chat: you are the participant, the terminal is your phone.

Buttons appear as numbered options (type the number, or press Enter when there is only one).
``/advance 1d`` moves the simulated clock and runs the due sweep, so a week's unlock can be seen
without waiting. Messages for the therapists are shown in their own box.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import FakeClock, parse_duration
from bot.engine import Inbound
from bot.service import ConversationService
from bot.text import clean_text
from scheduler.sender import OutboxSender

CHANNEL = "console"
PARTICIPANT_CHAT = "demo"
STAFF_CHAT = "staff"
CONSOLE_COMMANDS = "/advance DURATION (e.g. 1d, 12h, 1w) · /now · /quit"


@dataclass
class ConsoleTransport:
    """Prints what the bot sends, remembering the last buttons so a typed number can press one."""

    write: Callable[[str], None]
    last_buttons: list[dict[str, str]] = field(default_factory=list)
    sent: int = 0

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        self.sent += 1
        text = payload["text"].rstrip()
        if chat_id == STAFF_CHAT:
            self.write(_boxed("to the therapists' group", text))
            return str(self.sent)
        lines = [f"bot: {line}" if i == 0 else f"     {line}" for i, line in enumerate(text.splitlines() or [""])]
        if payload.get("image"):
            lines.append(f"     [picture: {payload['image']}]")
        buttons = [b for row in payload.get("buttons", []) for b in row]
        self.last_buttons = buttons  # a message without buttons (a text question) retires the old ones
        if buttons:
            if len(buttons) == 1:
                lines.append(f"     [{buttons[0]['label']}]  (press Enter)")
            else:
                lines.append("     " + "  ".join(f"[{i}] {b['label']}" for i, b in enumerate(buttons, 1)))
        self.write("\n".join(lines))
        return str(self.sent)

    def to_inbound(self, line: str) -> Inbound:
        text = clean_text(line.strip())
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            return Inbound(kind="command", text=name, args=args)
        buttons = self.last_buttons
        for button in buttons:
            if text.casefold() == button["label"].casefold():
                return Inbound(kind="choice", text=button["data"])
        if not text and len(buttons) == 1:
            return Inbound(kind="choice", text=buttons[0]["data"])
        if len(buttons) > 1 and text.isdigit() and 1 <= int(text) <= len(buttons):
            return Inbound(kind="choice", text=buttons[int(text) - 1]["data"])
        return Inbound(kind="text", text=text)


def _boxed(title: str, text: str) -> str:
    body = "\n".join(f"  │ {line}" for line in text.splitlines())
    return f"  ┌─ {title}\n{body}\n  └─"


class ConsoleChat:
    def __init__(
        self,
        service: ConversationService,
        sender: OutboxSender,
        transport: ConsoleTransport,
        clock: FakeClock,
    ) -> None:
        self.service, self.sender, self.transport, self.clock = service, sender, transport, clock

    async def say(self, line: str) -> bool:
        """Handle one line the participant typed; returns False when they asked to quit."""
        stripped = line.strip()
        if stripped in ("/quit", "/exit"):
            return False
        if stripped == "/now":
            self.transport.write(f"(simulated time: {self.clock.now():%a %d %b %Y %H:%M} UTC)")
            return True
        if stripped.startswith("/advance"):
            await self._advance(stripped.removeprefix("/advance").strip() or "1d")
            return True
        inbound = self.transport.to_inbound(line)
        await self.service.handle(CHANNEL, PARTICIPANT_CHAT, f"console:{uuid.uuid4().hex}", inbound)
        await self.sender.drain()
        return True

    async def _advance(self, amount: str) -> None:
        try:
            delta = parse_duration(amount)
        except ValueError as exc:
            self.transport.write(f"(cannot advance: {exc})")
            return
        # Step through time in hours so each daily prompt and unlock happens at its own moment.
        target = self.clock.now() + delta
        while self.clock.now() < target:
            self.clock.set(min(target, self.clock.now() + parse_duration("1h")))
            await self.service.tick_due()
            await self.sender.drain()
        self.transport.write(f"(simulated time is now {self.clock.now():%a %d %b %Y %H:%M} UTC)")

    async def run(self, lines: Iterable[str], echo: bool) -> None:
        await self.sender.drain()
        for line in lines:
            if echo:
                self.transport.write(f"you: {line.rstrip()}")
            if not await self.say(line):
                break
