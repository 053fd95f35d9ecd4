"""The local console chat: you are the participant, the terminal is your phone.

Buttons appear as numbered options (type the number, or press Enter when there is only one); a scale's
buttons show their own numbers, and typing a number presses the button with that number.
``/advance 1d`` moves the simulated clock and runs the due sweeps, so a week's unlock can be seen
without waiting. What the therapists' staff group would receive is shown in its own box, and
``/staff TEXT`` answers as the therapist in the participant's topic (``/staff /queue`` and the other
staff commands work the same way), so the whole relay loop can be seen without Telegram.
``/as NAME`` hands the keyboard to another person (a participant of their own, with their own chat),
so two people, and so both arms of the trial, can be followed in one database.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.clock import Clock, FakeClock, parse_duration
from bot.conversation.service import ConversationService
from bot.engine import Inbound
from bot.relay.model import StaffInbound
from bot.relay.service import RelayService
from bot.relay.topics import TopicDirectory
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.text import clean_text
from scheduler.sender import OutboxSender

CHANNEL = "console"
PARTICIPANT_CHAT = "demo"
STAFF_CHAT = "staff"
DEMO_THERAPIST = 1  # the person at the keyboard, when they answer as the therapist
CONSOLE_COMMANDS = (
    "/advance DURATION (e.g. 1d, 12h, 1w) · /now · /staff TEXT (answer as the therapist) · "
    "/as NAME (type as another participant) · /quit"
)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,29}")


def chat_of(name: str) -> str | None:
    """The console chat id of the person called ``name``: ``demo`` for the first demo participant,
    ``demo-<name>`` for any other; None for a name that cannot be one (letters, digits, - and _)."""
    slug = name.strip().casefold()
    if slug in ("", "demo"):
        return PARTICIPANT_CHAT
    return f"{PARTICIPANT_CHAT}-{slug}" if NAME.fullmatch(slug) else None


def name_of(chat_id: str) -> str:
    return chat_id.removeprefix(f"{PARTICIPANT_CHAT}-") if chat_id != PARTICIPANT_CHAT else PARTICIPANT_CHAT


@dataclass
class NewTopics:
    """The console's staff group makes a topic by saying so; its threads are numbered from 1."""

    write: Callable[[str], None]
    made: int = 0

    async def __call__(self, name: str) -> int:
        self.made += 1
        self.write(f"  (staff group: new topic “{name}”)")
        return self.made


def console_topics(db: Database, clock: Clock, write: Callable[[str], None]) -> TopicDirectory:
    """The staff group's topics in the console, given to the transport when it is built."""
    return TopicDirectory(db, clock, STAFF_CHAT, NewTopics(write))


@dataclass
class ConsoleTransport:
    """Prints what the bot sends, remembering the last buttons so a typed number can press one."""

    write: Callable[[str], None]
    buttons_of: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # chat id -> its last buttons
    sent: int = 0
    topics: TopicDirectory | None = None  # the staff group's topics, as the Telegram transport has them
    files_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "icbt-demo-files")  # /mydata

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        self.sent += 1
        text = payload["text"].rstrip()
        if payload.get("overview"):  # the pinned queue overview is a live message in Telegram; here /queue shows it
            return "0"
        if chat_id == STAFF_CHAT:
            relay = payload.get("relay")
            if relay and self.topics is not None:
                await self.topics.thread_for(relay["participant_id"], relay["topic_name"])
            where = f" · topic {relay['topic_name']}" if relay else ""
            if payload.get("copy_from"):
                text = (text + "\n" if text else "") + "[a copy of the participant's photo or document]"
            if payload.get("delete_topic"):
                text = "[the participant's topic is deleted, with everything in it]"
            if payload.get("image"):
                text += f"\n[picture: {payload['image']}]"
            pinned = " · PINNED" if payload.get("pin") else ""
            self.write(_boxed(f"STAFF GROUP (what the therapists see){where}{pinned}", text))
            return str(self.sent)
        who = "bot" if chat_id == PARTICIPANT_CHAT else f"bot → {name_of(chat_id)}"  # whose phone it is
        lines = [f"{who}: {line}" if i == 0 else f"     {line}" for i, line in enumerate(text.splitlines() or [""])]
        if payload.get("image"):
            lines.append(f"     [picture: {payload['image']}]")
        if payload.get("document"):  # /mydata: the console has no attachments, so the file is written
            lines.append(f"     [file saved as {self._save(payload['document'])}]")
        buttons = [b for row in payload.get("buttons", []) for b in row]
        self.buttons_of[chat_id] = buttons  # a message without buttons (a text question) retires the old ones
        if buttons:
            if len(buttons) == 1:
                lines.append(f"     [{buttons[0]['label']}]  (press Enter)")
            elif all(b["label"].isdigit() for b in buttons):  # a scale: its own numbers, typed as they are
                lines.append("     " + "  ".join(f"[{b['label']}]" for b in buttons))
            else:
                lines.append("     " + "  ".join(f"[{i}] {b['label']}" for i, b in enumerate(buttons, 1)))
        self.write("\n".join(lines))
        return str(self.sent)

    def _save(self, document: dict[str, str]) -> Path:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / Path(document["filename"]).name
        path.write_text(document["content"], encoding="utf-8")
        return path

    @property
    def last_buttons(self) -> list[dict[str, str]]:
        """The buttons of the first demo participant's latest message."""
        return self.buttons_of.get(PARTICIPANT_CHAT, [])

    def to_inbound(self, line: str, chat_id: str = PARTICIPANT_CHAT) -> Inbound:
        """What a typed line means in ``chat_id``: a number or a label presses that chat's own buttons."""
        text = clean_text(line.strip())
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            return Inbound(kind="command", text=name, args=args)
        buttons = self.buttons_of.get(chat_id, [])
        for button in buttons:
            if text.casefold() == button["label"].casefold():
                return Inbound(kind="choice", text=button["data"])
        if not text and len(buttons) == 1:
            return Inbound(kind="choice", text=buttons[0]["data"])
        numbered = not all(b["label"].isdigit() for b in buttons)  # a scale's buttons are pressed by their own numbers
        if numbered and len(buttons) > 1 and text.isdigit() and 1 <= int(text) <= len(buttons):
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
        relay: RelayService | None = None,
        on_advance: Callable[[datetime], Awaitable[None]] | None = None,
        chat_id: str = PARTICIPANT_CHAT,
    ) -> None:
        self.service, self.sender, self.transport, self.clock = service, sender, transport, clock
        self.chat_id = chat_id  # the person at the keyboard (``/as NAME`` changes it)
        self.relay = relay
        self.on_advance = on_advance  # the demo keeps its simulated clock across restarts
        if transport.topics is None:
            raise ValueError("the console chat needs a transport built with its topics (console_topics)")
        self.topics = transport.topics

    async def _settle(self) -> None:
        """What the background loops do in the real bot: post relay items, then send everything."""
        if self.relay is not None:
            await self.relay.process_pending()
        await self.sender.drain()

    async def _as_therapist(self, text: str) -> None:
        if self.relay is None or not text:
            self.transport.write("(usage: /staff TEXT – answers as the therapist; /staff /queue runs a staff command)")
            return
        async with self.service.db.reading() as session:
            row = await session.scalar(
                select(Participant).where(Participant.channel == CHANNEL, Participant.chat_id == self.chat_id)
            )
        thread = await self.topics.thread_for(row.id, row.code or "demo") if row is not None else None
        reply_to = None
        if row is not None and not text.startswith("/"):  # words at the keyboard answer the latest post
            async with self.service.db.reading() as session:
                reply_to = await self.relay.store(session).latest_post_id(row.id)
        msg = StaffInbound(event_id=f"console-staff:{uuid.uuid4().hex}", chat_id=STAFF_CHAT, chat_kind="supergroup",
                           user_id=DEMO_THERAPIST, message_id=0, text=text, thread_id=thread,
                           reply_to=reply_to)  # fmt: skip
        await self.relay.handle_staff(msg)
        await self._settle()

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
        if stripped.startswith(("/staff", "/as-therapist")):
            await self._as_therapist(stripped.partition(" ")[2].strip())
            return True
        if stripped == "/as" or stripped.startswith("/as "):
            self._switch(stripped.removeprefix("/as").strip())
            return True
        inbound = self.transport.to_inbound(line, self.chat_id)
        await self.service.handle(CHANNEL, self.chat_id, f"console:{uuid.uuid4().hex}", inbound)
        await self._settle()
        return True

    def _switch(self, name: str) -> None:
        """Hand the keyboard to ``name``; a new name is a new participant from their first message."""
        chat_id = chat_of(name) if name else None
        if chat_id is None:
            self.transport.write("(usage: /as NAME – letters, digits, - or _; /as demo is the first participant)")
            return
        self.chat_id = chat_id
        self.transport.write(f"(you are now typing as {name_of(chat_id)}; /start if they are new)")

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
            if self.relay is not None:
                await self.relay.sweep()
            await self._settle()
            if self.on_advance is not None:
                await self.on_advance(self.clock.now())
        self.transport.write(f"(simulated time is now {self.clock.now():%a %d %b %Y %H:%M} UTC)")

    async def run(self, lines: Iterable[str], echo: bool) -> None:
        await self.sender.drain()
        for line in lines:
            if echo:
                self.transport.write(f"you: {line.rstrip()}")
            if not await self.say(line):
                break
