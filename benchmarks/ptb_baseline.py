"""The baseline: the same conversation written the way python-telegram-bot's examples write it.

A ``ConversationHandler`` (welcome pages, consent, a baseline questionnaire answered item by item,
then daily diary entries) with ``PicklePersistence``, its data flushed to disk after every update
(``Application.update_persistence()``), as a bot must do to lose nothing in a crash. Updates go
straight into ``Application.process_update``; the handlers store answers and decide the next state
but do not call the Bot API, exactly as our service only queues its replies. Many participants'
events are interleaved, as in the closed-loop measure of the service.
"""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from benchmarks.common import scratch_dir

WELCOME, CONSENT, BASELINE, DIARY = range(4)
PAGES, ITEMS = 4, 12


class NoNetwork(BaseRequest):
    """Answers getMe only; the benchmark never reaches the Bot API."""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, **_: Any):  # type: ignore[no-untyped-def]
        body = b'{"ok": true, "result": {"id": 1, "is_bot": true, "first_name": "b", "username": "b_bot"}}'
        return 200, body


def _reply(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    context.user_data.setdefault("outbox", []).append(text)  # type: ignore[union-attr]
    del context.user_data["outbox"][:-3]  # type: ignore[index]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.update(page=0, answers={})  # type: ignore[union-attr]
    _reply(context, "Hello, and welcome.")
    return WELCOME


async def page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["page"] += 1  # type: ignore[index]
    _reply(context, f"page {context.user_data['page']}")  # type: ignore[index]
    return CONSENT if context.user_data["page"] >= PAGES else WELCOME  # type: ignore[index]


async def consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["consent"] = {"agreed": True, "at": time.time()}  # type: ignore[index]
    _reply(context, "Thank you. Question 1")
    return BASELINE


async def item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    answers = context.user_data["answers"]  # type: ignore[index]
    answers[f"q{len(answers) + 1}"] = update.effective_message.text if update.effective_message else None
    _reply(context, f"Question {len(answers) + 1}")
    return DIARY if len(answers) >= ITEMS else BASELINE


async def diary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.setdefault("diary", []).append(update.effective_message.text)  # type: ignore[union-attr]
    _reply(context, "Saved, thank you.")
    return DIARY


def build(path: Path) -> Application:
    app = (
        ApplicationBuilder()
        .token("1:baseline")
        .request(NoNetwork())
        .get_updates_request(NoNetwork())
        .updater(None)
        .persistence(PicklePersistence(path))
        .build()
    )
    text = filters.TEXT & ~filters.COMMAND
    warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                WELCOME: [CallbackQueryHandler(page)],
                CONSENT: [CallbackQueryHandler(consent)],
                BASELINE: [MessageHandler(text, item)],
                DIARY: [MessageHandler(text, diary)],
            },
            fallbacks=[CommandHandler("start", start)],
            name="icbt",
            persistent=True,
        )
    )
    return app


def updates(app: Application, chat: int, count: int, first_id: int) -> list[Update]:
    """``count`` updates of one participant: /start, button presses, then typed answers."""
    user, room = User(chat, "p", False), Chat(chat, "private")
    when = datetime(2026, 1, 5, 7, tzinfo=UTC)
    out: list[Update] = []
    for i in range(count):
        uid = first_id + i
        if i == 0:
            msg = Message(uid, when, room, from_user=user, text="/start", entities=[_command()])
            out.append(Update(uid, message=msg))
        elif i <= PAGES + 1:  # the welcome pages, then the consent button
            shown = Message(uid, when, room, from_user=user, text="page")
            out.append(Update(uid, callback_query=CallbackQuery(str(uid), user, "c", message=shown, data="next")))
        else:
            out.append(Update(uid, message=Message(uid, when, room, from_user=user, text="5")))
    for update in out:
        update.set_bot(app.bot)
        for part in (update.message, update.callback_query):
            if part is not None:
                part.set_bot(app.bot)
    return out


def _command():  # type: ignore[no-untyped-def]
    from telegram import MessageEntity

    return MessageEntity(MessageEntity.BOT_COMMAND, 0, 6)


async def measure(participants: int, events: int) -> dict[str, float]:
    path = scratch_dir("icbt-ptb-") / "state.pickle"
    app = build(path)
    await app.initialize()
    streams = [updates(app, 1000 + p, events, p * events + 1) for p in range(participants)]
    try:
        started = time.perf_counter()
        for i in range(events):  # interleaved: every participant's i-th event, then the next round
            for stream in streams:
                await app.process_update(stream[i])
                await app.update_persistence()  # flushed per update: nothing lost in a crash
        elapsed = time.perf_counter() - started
        finished = sum(len(data.get("answers", {})) >= ITEMS for data in app.user_data.values())
    finally:
        await app.shutdown()
    total = participants * events
    return {"events": total, "events_per_s": total / elapsed, "through_baseline": finished}
