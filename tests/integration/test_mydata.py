"""``/mydata``: the participant gets their own data as a file, audited as an export by the participant.

Telegram sends it with ``sendDocument`` (real python-telegram-bot over the fake Bot API); the console
writes the file and says where; after the draw the file holds the arm, the consent and the answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from telegram import Update

from bot.bootstrap import conversation_service
from bot.channels.console import ConsoleTransport
from bot.channels.telegram.app import build_application, register_handlers
from bot.channels.telegram.transport import CAPTION_LIMIT, TelegramTransport, plan
from bot.engine import Inbound
from bot.features import build_engine
from bot.settings import load_settings
from bot.storage.models import AuditEntry
from bot.trial.mydata import MyData
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.support.chat import CHAT
from tests.support.fake_bot_api import FakeBotAPI, text_update
from tests.support.trial_chat import TYPED, to_allocation, trial_chat_for

TG_CHAT = 555
MARKER = "my-marker-Q7781"


@pytest.fixture
async def tg(db, programme, clock, monkeypatch):
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123456:TEST")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    api = FakeBotAPI()
    application = build_application(load_settings(), request=api)
    sender = OutboxSender(db, {"telegram": TelegramTransport(application.bot)}, clock, Unlimited())
    mydata = MyData.build(db, programme, clock, retention_days=90, purge_days=30)
    service = conversation_service(db, build_engine(programme), clock, timezone="Europe/Stockholm", language="en",
                                  wake_sender=sender.wake.set, on_trial=mydata.run)  # fmt: skip
    register_handlers(application, service)
    await application.initialize()
    updates = iter(range(1, 1000))

    async def say(text: str) -> None:
        update = text_update(next(updates), TG_CHAT, text)
        await application.process_update(Update.de_json(update, application.bot))
        await sender.drain()

    yield api, say
    await application.shutdown()


async def test_mydata_arrives_in_telegram_as_a_json_document_and_is_audited(db, programme, tg):
    api, say = tg
    await say("/start")
    await say(f"/ask {MARKER}")
    await say("/mydata")
    assert programme.msg("en", "trial.mydata_coming") in [p["text"] for p in api.sent()]
    documents = [c for c in api.calls if c.method == "sendDocument"]
    assert len(documents) == 1 and int(documents[0].params["chat_id"]) == TG_CHAT
    assert documents[0].params["caption"] == programme.msg("en", "trial.mydata_caption")
    (name, content), *_ = documents[0].files.values()
    assert name == "P-0001-data.json"
    data = json.loads(content)
    assert data["code"] == "P-0001" and MARKER in [m["text"] for m in data["messages_to_staff"]]
    async with db.reading() as session:
        exports = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "export"))).all()
        assert [(e.actor, e.participant_id) for e in exports] == [("participant", 1)]


def test_a_document_is_one_telegram_message_and_a_long_caption_goes_before_it():
    short = {"text": "Your data", "buttons": [], "document": {"filename": "a.json", "content": "{}"}}
    assert [(p.kind, p.text) for p in plan(short)] == [("document", "Your data")]
    long = {**short, "text": "x " * CAPTION_LIMIT}
    assert [p.kind for p in plan(long)][-1] == "document" and plan(long)[-1].text is None


async def test_the_console_writes_the_file_and_says_where(tmp_path: Path):
    lines: list[str] = []
    console = ConsoleTransport(write=lines.append, files_dir=tmp_path / "files")
    await console.send("demo", {"text": "Your data", "buttons": [],
                                "document": {"filename": "P-0001-data.json", "content": '{"code": "P-0001"}'}})  # fmt: skip
    written = tmp_path / "files" / "P-0001-data.json"
    assert json.loads(written.read_text(encoding="utf-8")) == {"code": "P-0001"}
    assert f"[file saved as {written}]" in lines[-1]


async def test_after_the_draw_mydata_holds_the_arm_the_consent_and_the_application(
    db, programme, clock, sender, transport
):
    trial_chat, chat = trial_chat_for(db, programme, clock, sender, transport)
    trial_chat.mydata = MyData.build(db, programme, clock, retention_days=90, purge_days=30)
    await to_allocation(chat, programme, trial_chat, sender, transport, "waiting_list", clock)
    await chat.send(Inbound(kind="command", text="mydata"))
    document = transport.sent[CHAT][-1]["document"]
    data = json.loads(document["content"])
    assert data["allocation"]["arm"] == "waiting_list"
    assert [(c["version"], c["agreed"]) for c in data["consents"]] == [("2026-11-consent-v3", True)]
    assert data["applications"][0]["answers"]["contact"] == TYPED["contact"]
