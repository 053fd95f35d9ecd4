"""``icbt run``'s serving loop (``bot.channels.telegram.runner.serve``) in a process of its own, against
the fake Bot API, for tests that kill it.

    python -m tests.support.telegram_process DATABASE_URL WORKDIR MODE [WEBHOOK_PORT]

Telegram's side outlives the process as files in WORKDIR: ``updates.json`` holds the updates sent to
the bot, ``offsets`` every ``getUpdates`` offset asked for (an offset confirms every update below it,
so a later process is never given those again). MODE ``serve`` runs normally; ``conflict`` is
told 409 Conflict by ``getUpdates`` (another process polls this bot); ``hang`` lets each
participant event be received and then never commits it (it writes ``WORKDIR/received`` and waits):
the test kills the process there, between receipt and commit. With WEBHOOK_PORT the bot runs in
webhook mode on 127.0.0.1:WEBHOOK_PORT (path ``/telegram``, secret ``SECRET``) instead of polling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from bot.channels.telegram.runner import serve
from bot.conversation.service import ConversationService
from bot.errors import TelegramUnavailable
from bot.settings import Settings
from tests.support.fake_bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
SECRET = "webhook-secret-token"


class FileBackedTelegram(FakeBotAPI):
    def __init__(self, workdir: Path) -> None:
        super().__init__()
        self.workdir = workdir
        confirmed = max([int(x) for x in self._offsets_file().read_text().split()] or [0])
        held = json.loads((workdir / "updates.json").read_text())
        self.updates = [u for u in held if u["update_id"] >= confirmed]

    def _offsets_file(self) -> Path:
        path = self.workdir / "offsets"
        path.touch()
        return path

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._offsets_file().open("a") as f:
            f.write(f"{int(params.get('offset') or 0)}\n")
        return await super()._get_updates(params)


def main() -> None:
    url, workdir, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    if mode == "hang":

        async def received_then_wait(self: ConversationService, *args: Any, **kwargs: Any) -> bool:
            (workdir / "received").write_text("1")
            await asyncio.Event().wait()  # never commits: killed here
            return False

        ConversationService.handle = received_then_wait  # type: ignore[method-assign]
    webhook = {"telegram_mode": "webhook", "webhook_url": "https://bot.example.org/telegram",
               "webhook_port": int(sys.argv[4]), "webhook_secret": SECRET} if len(sys.argv) > 4 else {}  # fmt: skip
    settings = Settings(database_url=url, content_dir=ROOT / "content", telegram_token="123456789:TEST",
                        staff_mode="none", sweep_workers=0, sweep_interval_seconds=5, **webhook)  # fmt: skip
    telegram = FileBackedTelegram(workdir)
    if mode == "conflict":  # another process polls this bot already
        conflict = {"ok": False, "error_code": 409,
                    "description": "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}  # fmt: skip
        telegram.method_errors["getUpdates"] = [(409, conflict)] * 50
    try:
        asyncio.run(serve(settings, telegram))
    except TelegramUnavailable as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
