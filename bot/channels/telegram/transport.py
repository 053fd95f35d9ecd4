"""Sending one outbox message through the Bot API, and translating its errors for the sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, MessageId
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.staff import TopicResolver, send_overview, send_relay
from bot.relay.topics import TopicPending
from scheduler.sender import DeliveryFailed, DeliveryRefused, DeliveryRetry

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024


def utf16_units(text: str) -> int:
    """A text's length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long text into message-sized parts, at paragraph, line or word breaks where possible;
    sizes are measured as Telegram measures them (UTF-16 units), so no part is refused as too long."""
    parts: list[str] = []
    rest = text
    while utf16_units(rest) > limit:
        end = _fitting(rest, limit)
        cut = max(rest.rfind("\n\n", 0, end), rest.rfind("\n", 0, end), rest.rfind(" ", 0, end))
        if cut <= 0:
            cut = end
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [p for p in parts if p] or [""]


def keyboard(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = payload.get("buttons") or []
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["label"], callback_data=b["data"]) for b in row] for row in rows]
    )


@dataclass(frozen=True)
class Part:
    """One Bot API message of an outbox payload: a photo or a document (with or without caption) or a text."""

    kind: str  # "photo" | "text" | "document" | "relay"
    text: str | None
    with_buttons: bool


def plan(payload: dict[str, Any]) -> list[Part]:
    """The Bot API messages a payload becomes, in order (pure; the sender counts and resumes by it).

    A photo whose caption fits is one message; a longer text goes after the photo, cut into parts;
    the buttons ride on the last message.
    """
    if payload.get("delete_topic"):  # an erasure: the participant's topic in the staff group goes
        return [Part("delete_topic", None, False)]
    if payload.get("overview"):  # the pinned queue overview: edited in place, or posted and pinned
        return [Part("overview", None, False)]
    if payload.get("relay") or payload.get("copy_from"):
        return [Part("relay", None, True)]  # sent whole by bot/channels/telegram/staff.py
    text, image = payload.get("text", ""), payload.get("image")
    if payload.get("document"):  # /mydata: the file, its caption on it when the text fits
        if utf16_units(text) <= CAPTION_LIMIT:
            return [Part("document", text or None, True)]
        return [Part("text", piece, False) for piece in split_text(text)] + [Part("document", None, True)]
    if image and utf16_units(text) <= CAPTION_LIMIT:
        return [Part("photo", text or None, True)]
    parts = [Part("photo", None, False)] if image else []
    pieces = split_text(text)
    parts += [Part("text", piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    return parts


def chat_gone(exc: BadRequest) -> bool:
    """A 400 that means the chat itself is unusable (as opposed to a malformed message)."""
    return any(phrase in exc.message.lower() for phrase in ("chat not found", "user is deactivated", "bot was kicked"))


class TelegramTransport:
    def __init__(self, bot: Bot, topics: TopicResolver | None = None) -> None:
        self.bot = bot
        self.topics = topics  # the staff group's forum topics (None without a staff group)

    def parts(self, payload: dict[str, Any]) -> int:
        return len(plan(payload))

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        """Send every part in turn (outside the sender, which sends and records part by part)."""
        message_id = ""
        for index in range(self.parts(payload)):
            message_id = await self.send_part(chat_id, payload, index)
        return message_id

    async def send_part(self, chat_id: str, payload: dict[str, Any], index: int) -> str:
        """Send part ``index`` of the payload; translate the Bot API's errors for the sender."""
        try:
            if payload.get("delete_topic"):
                await self.bot.delete_forum_topic(int(chat_id), int(payload["delete_topic"]))
                return ""
            message = await self._send(int(chat_id), payload, plan(payload)[index])
        except TopicPending as exc:  # the participant's topic is on its way: the post waits for it
            raise DeliveryRetry(exc.seconds) from exc
        except RetryAfter as exc:
            wait = exc.retry_after
            raise DeliveryRetry(wait.total_seconds() if isinstance(wait, timedelta) else float(wait)) from exc
        except Forbidden as exc:
            raise DeliveryRefused(f"forbidden: {exc.message}") from exc
        except BadRequest as exc:
            raise DeliveryRefused(f"bad request: {exc.message}", chat_gone=chat_gone(exc)) from exc
        except (NetworkError, TelegramError) as exc:
            raise DeliveryFailed(f"{exc.__class__.__name__}: {exc}") from exc
        return str(message.message_id)

    async def _send(self, chat_id: int, payload: dict[str, Any], part: Part) -> Message | MessageId:
        if part.kind == "relay":  # the therapist relay's own messages (topics, copies, pins)
            return await send_relay(self.bot, self.topics, chat_id, payload, split_text)
        if part.kind == "overview":
            return await send_overview(self.bot, chat_id, payload)
        markup = keyboard(payload) if part.with_buttons else None
        if part.kind == "document":
            document = payload["document"]
            file = InputFile(document["content"].encode("utf-8"), filename=document["filename"])
            return await self.bot.send_document(chat_id, file, caption=part.text, reply_markup=markup)
        if part.kind == "photo":
            with Path(payload["image"]).open("rb") as photo:
                return await self.bot.send_photo(chat_id, photo, caption=part.text, reply_markup=markup)
        return await self.bot.send_message(chat_id, part.text or "", reply_markup=markup)
