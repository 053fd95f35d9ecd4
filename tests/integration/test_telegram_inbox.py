"""Save, then confirm: an update is in the database before Telegram is told it was handled, and one
recorded but not processed is processed once after a restart (a real ``icbt run`` process on SQLite,
killed with SIGKILL between receipt and commit; and in-process through the real Updater)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from telegram import Update

from bot.channels.telegram.app import build_application, open_inbox, register_handlers
from bot.channels.telegram.inbox import Inbox
from bot.settings import Settings
from tests.support.fake_bot_api import FakeBotAPI, text_update
from tests.support.processes import kill, start, stop, until

CHAT = 4242


def _rows(path: Path, sql: str) -> list[tuple]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:  # the schema is not there yet
            return []


def _confirmed(workdir: Path) -> int:
    offsets = (workdir / "offsets").read_text().split() if (workdir / "offsets").exists() else []
    return max([int(x) for x in offsets] or [0])


async def test_an_update_killed_between_receipt_and_commit_is_processed_once_after_restart(tmp_path):
    path = tmp_path / "bot.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    (tmp_path / "updates.json").write_text(json.dumps([text_update(5001, CHAT, "/start")]))
    first = await start("tests.support.telegram_process", url, str(tmp_path), "hang")
    # Received, and Telegram already told it was handled (the next offset asked for)...
    await until(lambda: (tmp_path / "received").exists() and _confirmed(tmp_path) == 5002, first)
    # ...but only because it was recorded first.
    assert _rows(path, "SELECT update_id FROM telegram_inbox") == [(5001,)]
    await kill(first)
    assert _rows(path, "SELECT event_id FROM processed_events") == []
    for _ in range(2):  # restarted, and restarted again: processed once
        again = await start("tests.support.telegram_process", url, str(tmp_path), "serve")
        await until(lambda: _rows(path, "SELECT count(*) FROM telegram_inbox") == [(0,)]
                    and _rows(path, "SELECT count(*) FROM processed_events") == [(1,)], again)  # fmt: skip
        await stop(again)
    assert _rows(path, "SELECT channel, event_id FROM processed_events") == [("telegram", "5001")]
    assert _rows(path, "SELECT count(*) FROM participants") == [(1,)]
    replies = _rows(path, f"SELECT count(*) FROM outbox WHERE chat_id = '{CHAT}'")[0][0]
    assert replies >= 1
    assert _rows(path, f"SELECT count(*) FROM outbox WHERE chat_id = '{CHAT}' AND status != 'sent'") == [(0,)]


async def test_a_failed_update_stays_in_the_inbox_and_a_done_one_leaves(db, programme, clock, service):
    settings = Settings(telegram_token="123456789:TEST", content_dir=Path("content"))
    api = FakeBotAPI()
    application = build_application(settings, api)
    register_handlers(application, service)
    open_inbox(application, Inbox(db, clock))
    async with application:
        ok = Update.de_json(text_update(7001, CHAT, "/start"), application.bot)
        await application.update_queue.put(ok)
        assert [u for u, _ in await application.inbox.pending()] == [7001]  # recorded when queued
        await application.process_update(await application.update_queue.get())
        assert await application.inbox.pending() == []
        real_handle = service.handle

        async def broken(*args, **kwargs):
            raise ConnectionResetError("the database went away")

        service.handle = broken
        await application.update_queue.put(Update.de_json(text_update(7002, CHAT, "hello"), application.bot))
        await application.process_update(await application.update_queue.get())
        assert [u for u, _ in await application.inbox.pending()] == [7002]  # kept for another try
        service.handle = real_handle
        assert await application.replay() == 1
        assert await application.inbox.pending() == []
