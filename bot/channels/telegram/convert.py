"""Telegram ``Update`` → the engine's ``Inbound``. The only place that reads Telegram's shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType

from bot.engine import Inbound
from bot.text import clean_text

CHANNEL = "telegram"


@dataclass(frozen=True)
class Incoming:
    chat_id: str
    event_id: str
    inbound: Inbound
    language: str | None


def to_incoming(update: Update) -> Incoming | None:
    """What a participant did in their private chat, or None for anything we do not handle here."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return None  # the staff group is handled by the relay, not the participant engine
    user = update.effective_user
    language = user.language_code if user else None
    event_id = str(update.update_id)
    if update.callback_query is not None:
        data = clean_text(update.callback_query.data or "")
        return Incoming(str(chat.id), event_id, Inbound(kind="choice", text=data), language)
    if update.edited_message is not None:  # new words in an old message: screened, nothing else
        edited = update.edited_message
        text = clean_text(edited.text or edited.caption or "")
        return Incoming(str(chat.id), event_id, Inbound(kind="edit", text=text), language) if text else None
    message = update.message
    if message is None:
        return None  # reactions, etc.: nothing to answer
    text = clean_text(message.text or message.caption or "")  # NUL etc. would fail the event on PostgreSQL
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        return Incoming(
            str(chat.id), event_id, Inbound(kind="command", text=name.split("@", 1)[0], args=args), language
        )
    return Incoming(str(chat.id), event_id, Inbound(kind="text", text=text, attachment=_attachment(message)), language)


def _attachment(message: Message) -> dict[str, Any] | None:
    """A photo or document, by reference: the relay copies it into the therapist's topic."""
    file = message.photo[-1] if message.photo else message.document
    if file is None:
        return None
    kind = "photo" if message.photo else "document"
    return {"kind": kind, "file_id": file.file_id, "chat_id": message.chat.id, "message_id": message.message_id}
