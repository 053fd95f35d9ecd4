"""Save, then confirm: an update is in the database before Telegram is told it was handled, and one
recorded but not processed is processed once after a restart (a real ``icbt run`` process on SQLite,
killed with SIGKILL between receipt and commit; and in-process through the real Updater)."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from pathlib import Path

import httpx
from telegram import Update

from bot.channels.telegram.app import build_application, open_inbox, register_handlers
from bot.channels.telegram.inbox import Inbox
from bot.channels.telegram.runner import TWO_POLLERS
from bot.settings import Settings
from tests.conftest import CONTENT
from tests.support.fake_bot_api import FakeBotAPI, text_update
from tests.support.processes import kill, start, stop, until
from tests.support.telegram_process import SECRET

CHAT = 4242
UNSENT = f"SELECT id FROM outbox WHERE chat_id = '{CHAT}' AND status != 'sent' AND not_before <= created_at"


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
                    and _rows(path, "SELECT count(*) FROM processed_events") == [(1,)]
                    and _rows(path, UNSENT) == [], again)  # fmt: skip
        await stop(again)
    assert _rows(path, "SELECT channel, event_id FROM processed_events") == [("telegram", "5001")]
    assert _rows(path, "SELECT count(*) FROM participants") == [(1,)]
    assert _rows(path, f"SELECT count(*) FROM outbox WHERE chat_id = '{CHAT}' AND status = 'sent'")[0][0] >= 1


async def test_a_failed_update_stays_in_the_inbox_and_a_done_one_leaves(db, programme, clock, service):
    settings = Settings(telegram_token="123456789:TEST", content_dir=CONTENT)
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


async def test_webhook_mode_starts_and_answers_only_after_the_update_is_saved(tmp_path):
    """The documented way to run several workers: the webhook (python-telegram-bot's ``webhooks``
    extra) serves an update; its 200 comes once the update is recorded, and a kill right after loses
    nothing."""
    path = tmp_path / "bot.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    (tmp_path / "updates.json").write_text("[]")
    port = _free_port()
    first = await start("tests.support.telegram_process", url, str(tmp_path), "hang", str(port))
    await until(lambda: _listening(port), first)
    hook = f"http://127.0.0.1:{port}/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient() as client:
        refused = await client.post(
            hook, json=text_update(6001, CHAT, "/start"), headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
        )
        assert refused.status_code == 403
        answer = await client.post(hook, json=text_update(6001, CHAT, "/start"), headers=headers)
    assert answer.status_code == 200
    assert _rows(path, "SELECT update_id FROM telegram_inbox") == [(6001,)]  # saved before the 200
    await until(lambda: (tmp_path / "received").exists(), first)
    await kill(first)
    again = await start("tests.support.telegram_process", url, str(tmp_path), "serve", str(port))
    await until(lambda: _rows(path, "SELECT count(*) FROM processed_events") == [(1,)]
                and _rows(path, "SELECT count(*) FROM telegram_inbox") == [(0,)], again)  # fmt: skip
    await until(lambda: _listening(port), again)
    async with httpx.AsyncClient() as client:
        assert (await client.post(hook, json=text_update(6002, CHAT, "hello"), headers=headers)).status_code == 200
    await until(lambda: _rows(path, "SELECT count(*) FROM processed_events") == [(2,)], again)
    await stop(again)
    assert _rows(path, "SELECT event_id FROM processed_events ORDER BY event_id") == [("6001",), ("6002",)]


async def test_a_second_poller_refuses_politely_with_one_line(tmp_path):
    path = tmp_path / "bot.sqlite3"
    (tmp_path / "updates.json").write_text("[]")
    second = await start("tests.support.telegram_process", f"sqlite+aiosqlite:///{path}", str(tmp_path), "conflict")
    _, err = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 1
    lines = [line for line in err.decode().splitlines() if "409" in line or "Conflict" in line]
    assert lines == [TWO_POLLERS], err.decode()[-2000:]
    assert "Traceback" not in err.decode()
