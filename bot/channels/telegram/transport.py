"""Sending one outbox message through the Bot API, and translating its errors for the sender."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageId
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.staff import TopicResolver, send_relay
from scheduler.sender import DeliveryFailed, DeliveryRefused, DeliveryRetry

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long text into message-sized parts, at paragraph, line or word breaks where possible."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        if cut <= 0:
            cut = limit
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


class TelegramTransport:
    def __init__(self, bot: Bot, topics: TopicResolver | None = None) -> None:
        self.bot = bot
        self.topics = topics  # the staff group's forum topics (set when the relay runs)

    async def send(self, chat_id: str, payload: dict[str, Any]) -> str:
        try:
            message = await self._send(int(chat_id), payload)
        except RetryAfter as exc:
            wait = exc.retry_after
            raise DeliveryRetry(wait.total_seconds() if isinstance(wait, timedelta) else float(wait)) from exc
        except Forbidden as exc:
            raise DeliveryRefused(f"forbidden: {exc.message}") from exc
        except BadRequest as exc:
            raise DeliveryRefused(f"bad request: {exc.message}") from exc
        except (NetworkError, TelegramError) as exc:
            raise DeliveryFailed(f"{exc.__class__.__name__}: {exc}") from exc
        return str(message.message_id)

    async def _send(self, chat_id: int, payload: dict[str, Any]) -> Message | MessageId:
        if payload.get("relay") or payload.get("copy_from"):  # the therapist relay's own messages
            return await send_relay(self.bot, self.topics, chat_id, payload, split_text)
        text, markup, image = payload.get("text", ""), keyboard(payload), payload.get("image")
        if image:
            with Path(image).open("rb") as photo:
                if len(text) <= CAPTION_LIMIT:
                    return await self.bot.send_photo(chat_id, photo, caption=text or None, reply_markup=markup)
                await self.bot.send_photo(chat_id, photo)
        parts = split_text(text)
        message: Message | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message = await self.bot.send_message(chat_id, part, reply_markup=markup if last else None)
        assert message is not None
        return message
