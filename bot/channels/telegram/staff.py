"""The staff group in Telegram: updates → ``StaffInbound``, and the relay's messages → the Bot API.

Handlers stay thin: translate, let ``RelayService`` decide, do what it says at the edge (leave a
foreign group, answer a private chat). Staff messages are sent into the participant's forum topic,
whose thread id the ``TopicResolver`` finds or creates just before sending; participant photos and
documents are copied (``copyMessage``), never forwarded, so no account is revealed either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageId, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.relay.model import StaffInbound
from bot.relay.service import RelayService
from bot.text import clean_text

log = logging.getLogger(__name__)
GONE = ("thread not found", "topic_deleted", "topic deleted")
NOT_A_FORUM = ("not a forum", "chat_not_forum", "topics are not enabled")
EDIT_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


class TopicResolver(Protocol):
    async def thread_for(self, participant_id: int, name: str) -> int | None: ...

    async def recreate(self, participant_id: int, name: str, gone: int) -> int | None: ...


def to_staff_inbound(update: Update) -> StaffInbound | None:
    """A group/supergroup message, edit, button or membership change, or a /command in a private chat."""
    event_id = str(update.update_id)
    member = update.my_chat_member
    if member is not None:
        if member.chat.type == ChatType.PRIVATE or member.new_chat_member.status in ("left", "kicked"):
            return None
        return StaffInbound(event_id, str(member.chat.id), member.chat.type, member.from_user.id, 0, joined=True)  # type: ignore[arg-type]
    query = update.callback_query
    if query is not None:
        if not isinstance(query.message, Message) or query.message.chat.type == ChatType.PRIVATE:
            return None  # a participant's button: the engine's
        return StaffInbound(event_id, str(query.message.chat.id), query.message.chat.type, query.from_user.id,  # type: ignore[arg-type]
                            query.message.message_id, button=query.data or "")  # fmt: skip
    message = update.message or update.edited_message
    if message is None:
        return None
    text = clean_text(message.text or message.caption or "")  # like a participant's: a lone surrogate loses nothing
    user_id = message.from_user.id if message.from_user else 0
    if message.chat.type == ChatType.PRIVATE:
        if not text.startswith("/") or update.edited_message is not None:
            return None
        return StaffInbound(event_id, str(message.chat.id), "private", user_id, message.message_id, text=text)
    reply = message.reply_to_message
    replied = reply is not None and reply.forum_topic_created is None  # in a topic, "reply" to its root is none
    return StaffInbound(
        event_id=event_id, chat_id=str(message.chat.id), chat_kind=message.chat.type,  # type: ignore[arg-type]
        user_id=user_id, message_id=message.message_id, text=text,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to=reply.message_id if replied and reply is not None else None,
        photo=message.photo[-1].file_id if message.photo else None,
        document=message.document.file_id if message.document else None,
        joined=any(u.is_bot and u.id == message.get_bot().id for u in message.new_chat_members or ()),
        edited=update.edited_message is not None,
    )  # fmt: skip


def register_staff_handlers(application: Application, relay: RelayService) -> None:
    """Staff updates run before the participant handler (group -1) and stop there when they were ours."""

    async def on_staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = to_staff_inbound(update)
        if msg is None:
            return
        outcome = await relay.handle_staff(msg)
        if not outcome.handled:
            return
        try:
            if outcome.leave:
                await context.bot.leave_chat(int(msg.chat_id))
            if outcome.answer:
                await context.bot.send_message(int(msg.chat_id), outcome.answer)
            if update.callback_query is not None:
                await update.callback_query.answer(outcome.button_answer)
        except TelegramError as exc:
            log.warning("staff update %s: could not act in chat: %s", msg.event_id, exc.__class__.__name__)
        raise ApplicationHandlerStop

    application.add_handler(TypeHandler(Update, on_staff), group=-1)


class TelegramStaffGateway:
    """``createForumTopic``/``editForumTopic`` for the topic directory (None: the group has no topics)."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self.bot, self.chat_id = bot, chat_id

    async def create_topic(self, name: str) -> int | None:
        try:
            topic = await self.bot.create_forum_topic(self.chat_id, name)
        except BadRequest as exc:
            if any(s in exc.message.lower() for s in NOT_A_FORUM):
                log.warning("the staff group has no topics; routing by replies instead")
                return None
            raise
        return topic.message_thread_id

    @staticmethod
    def made_nothing(exc: Exception) -> bool:
        """A refusal (400, 403, 429) certainly created no topic; a network error or 5xx may have."""
        return isinstance(exc, BadRequest | Forbidden | RetryAfter)

    async def rename_topic(self, thread_id: int, name: str) -> None:
        await self.bot.edit_forum_topic(self.chat_id, thread_id, name=name)


async def send_relay(
    bot: Bot,
    topics: TopicResolver | None,
    chat_id: int,
    payload: dict[str, Any],
    split: Callable[[str], list[str]],
) -> Message | MessageId:
    """Send a relay payload: into the participant's topic (recreated once if gone), copied, pinned."""
    relay = payload.get("relay")
    thread = None
    if relay and topics is not None:
        thread = await topics.thread_for(relay["participant_id"], relay["topic_name"])
    try:
        sent = await _post(bot, chat_id, thread, payload, split)
    except BadRequest as exc:
        if thread is None or topics is None or not any(s in exc.message.lower() for s in GONE):
            raise
        thread = await topics.recreate(relay["participant_id"], relay["topic_name"], thread)  # type: ignore[index]
        sent = await _post(bot, chat_id, thread, payload, split)
    if payload.get("pin"):
        try:
            await bot.pin_chat_message(chat_id, sent.message_id, disable_notification=False)
        except TelegramError as exc:  # delivered but not pinned: say so in the log, keep the message
            log.error("could not pin an URGENT alert in the staff group: %s", exc.__class__.__name__)
    return sent


async def _post(
    bot: Bot, chat_id: int, thread: int | None, payload: dict[str, Any], split: Callable[[str], list[str]]
) -> Message | MessageId:
    copy = payload.get("copy_from")
    if copy:
        caption = copy.get("caption")
        return await bot.copy_message(chat_id, int(copy["chat_id"]), int(copy["message_id"]), caption=caption,
                                      message_thread_id=thread)  # fmt: skip
    image = payload.get("image")
    if image and Path(image).is_file():  # a week's pain chart: the photo, its text line as the caption
        with Path(image).open("rb") as photo:
            return await bot.send_photo(chat_id, photo, caption=payload.get("text") or None,
                                        message_thread_id=thread)  # fmt: skip
    sent: Message | None = None
    parts = split(payload.get("text", ""))
    for index, part in enumerate(parts):
        markup = _buttons(payload) if index == len(parts) - 1 else None
        sent = await bot.send_message(chat_id, part, message_thread_id=thread, reply_markup=markup)
    assert sent is not None
    return sent


def _buttons(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = payload.get("buttons") or []
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["label"], callback_data=b["data"]) for b in row] for row in rows]
    )


async def send_overview(bot: Bot, chat_id: int, payload: dict[str, Any]) -> Message | MessageId:
    """The pinned queue overview: edit the message in place; when it was deleted (or can no longer be
    edited), post a new one and pin it. Returns the message that now is the overview."""
    text, edit = payload.get("text", ""), payload["overview"].get("edit")
    if edit is not None:
        try:
            edited = await bot.edit_message_text(text, chat_id, int(edit))
            return edited if isinstance(edited, Message) else MessageId(int(edit))
        except BadRequest as exc:
            reason = exc.message.lower()
            if "not modified" in reason:
                return MessageId(int(edit))
            if not any(s in reason for s in EDIT_GONE):
                raise
            log.warning("the pinned queue overview is gone (%s): posting a new one", exc.message)
    sent = await bot.send_message(chat_id, text)
    try:
        await bot.pin_chat_message(chat_id, sent.message_id, disable_notification=True)
    except TelegramError as exc:  # posted but not pinned: the overview still works, say so in the log
        log.error("could not pin the queue overview in the staff group: %s", exc.__class__.__name__)
    return sent
