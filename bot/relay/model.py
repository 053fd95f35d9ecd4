"""Values that cross the relay's boundary: what a staff-group update is, and the relay's settings.

No Telegram or database types in here, so the console demo, Telegram and tests drive the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

ChatKind = Literal["private", "group", "supergroup", "channel"]


@dataclass(frozen=True)
class StaffInbound:
    """One thing someone did in a chat that is not a participant's private chat (or a staff command)."""

    event_id: str
    chat_id: str
    chat_kind: ChatKind
    user_id: int
    message_id: int
    text: str = ""  # the text, or a photo's/document's caption
    thread_id: int | None = None  # the forum topic (message_thread_id)
    reply_to: int | None = None  # the message this one answers (groups without topics)
    photo: str | None = None  # file id of the largest size
    document: str | None = None
    joined: bool = False  # the bot itself was added to this chat
    edited: bool = False  # an edit of message ``message_id`` (``text`` is the new text)
    button: str | None = None  # a staff button's data (callback query); ``message_id`` is the bot's post

    @property
    def command(self) -> tuple[str, str] | None:
        """``("reply", "P-0002 text")`` for ``/reply@bot P-0002 text``; None for plain messages."""
        return parse_command(self.text)

    @property
    def has_attachment(self) -> bool:
        return self.photo is not None or self.document is not None


def parse_command(text: str) -> tuple[str, str] | None:
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped[1:].partition(" ")
    if "\n" in head:
        head, _, rest = head.partition("\n")
        args = (rest + " " + args).strip()
    name = head.split("@", 1)[0].lower()
    return (name, args.strip()) if name else None


@dataclass(frozen=True)
class RelayConfig:
    """The site's relay settings, read once from ``Settings`` (see ``bootstrap``)."""

    staff_channel: str
    staff_chat_id: str
    therapist_ids: tuple[int, ...]
    therapist_names: dict[int, str] = field(default_factory=dict)
    signature: str = "— Your therapist {name}"
    question_days: int = 1
    report_days: int = 2
    escalate_hours: int = 4
    urgent_backoff: tuple[int, ...] = (5, 15, 60)  # minutes before each URGENT repeat; the last one repeats
    urgent_escalate_after: int = 3  # repeats without /ack before the group and the on-call contact are told
    oncall: tuple[str, str] | None = None  # (channel, chat id) of the on-call contact

    day_end_hour: int = 17
    holidays: frozenset[date] = frozenset()
    timezone: str = "Europe/Stockholm"
    stall_days: int = 4  # not moved inside an open module this long: a kind nudge; twice as long: a task

    def repeat_gap(self, repeats_done: int) -> int:
        """Minutes until the next URGENT repeat after ``repeats_done`` repeats (5, 15, 60, 60 …)."""
        return self.urgent_backoff[min(repeats_done, len(self.urgent_backoff) - 1)]

    def name_of(self, therapist_id: int | None) -> str:
        if therapist_id is None:
            return "nobody yet"
        return self.therapist_names.get(therapist_id, f"therapist {therapist_id}")

    def therapist_by_name(self, text: str) -> int | None:
        """A therapist named in a command: by configured name (any case) or by Telegram id."""
        wanted = text.strip().lstrip("@").casefold()
        for tid in self.therapist_ids:
            if self.therapist_names.get(tid, "").casefold() == wanted or str(tid) == wanted:
                return tid
        return None
