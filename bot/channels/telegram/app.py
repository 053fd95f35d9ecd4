"""The python-telegram-bot ``Application``: one thin handler that turns updates into engine events.

Updates are processed concurrently across chats but in order within a chat (a per-chat lock), and a
redelivered ``update_id`` is a no-op (the service records each one once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest

from bot.channels.telegram.convert import CHANNEL, to_incoming
from bot.channels.telegram.inbox import DurableQueue, Inbox, InboxApplication
from bot.conversation.service import ConversationService
from bot.settings import Settings
from bot.storage.outage import is_outage

log = logging.getLogger(__name__)


class ChatLocks:
    """One lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def build_application(settings: Settings, request: BaseRequest | None = None) -> InboxApplication:
    """Updates pass through a ``DurableQueue``: recorded before Telegram is told (``inbox.py``)."""
    assert settings.telegram_token is not None
    builder = (
        ApplicationBuilder()
        .application_class(InboxApplication)
        .update_queue(DurableQueue())
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .concurrent_updates(True)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    assert isinstance(application, InboxApplication)
    return application


def open_inbox(application: InboxApplication, inbox: Inbox) -> None:
    """From now on an update is recorded before it is confirmed, and its row goes once it is processed."""
    application.inbox = inbox
    assert isinstance(application.update_queue, DurableQueue)
    application.update_queue.inbox = inbox


def register_handlers(application: Application, service: ConversationService) -> ChatLocks:
    """Participant conversation: every private update goes through one translating handler."""
    locks = ChatLocks()

    async def on_update(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = to_incoming(update)
        if incoming is None:
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()  # stop the button's spinner at once
                # An answered keyboard goes away, so old buttons never look tappable.
                await update.callback_query.edit_message_reply_markup(None)
            except TelegramError as exc:
                log.info("could not answer callback query: %s", exc.__class__.__name__)
        async with locks.hold(incoming.chat_id):
            await service.handle(CHANNEL, incoming.chat_id, incoming.event_id, incoming.inbound, incoming.language)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(context.application, InboxApplication):
            context.application.mark_failed(update)  # its inbox row stays for another try
        if context.error is not None and is_outage(context.error):  # said once by the database's Outage
            log.debug("update failed during a database outage: %s", type(context.error).__name__)
        else:
            log.error("update failed: %s", context.error.__class__.__name__, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            programme = service.engine.programme
            text = programme.msg(programme.spec.default_language, "error.generic")
            try:
                await context.bot.send_message(update.effective_chat.id, text)
            except TelegramError:
                log.warning("could not tell the participant about the error")

    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return locks
