"""Storage safety: SQL parameters never in exceptions, and text a database refuses is cleaned, not lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from telegram import Bot, Update

from bot.channels.console import ConsoleTransport
from bot.channels.telegram.convert import to_incoming
from bot.storage.models import RelayItem
from bot.text import REPLACEMENT, clean_text
from tests.support.fake_bot_api import callback_update, text_update

WORDS = "my neighbour Karin hurts my back"


async def test_failing_statement_hides_sql_parameters(db):
    with pytest.raises(DBAPIError) as caught:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO no_such_table (words) VALUES (:words)"), {"words": WORDS})
    message = str(caught.value)
    assert "no_such_table" in message  # the statement is still there to debug with
    assert "SQL parameters hidden" in message
    assert WORDS not in message and "Karin" not in message


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("a\x00b", f"a{REPLACEMENT}b"),
        ("\x00", REPLACEMENT),
        ("half an emoji \ud83d here", f"half an emoji {REPLACEMENT} here"),
        ("trailing \udc00", f"trailing {REPLACEMENT}"),
        ("emoji 😀, å ä ö, tab\tand\nnewline", "emoji 😀, å ä ö, tab\tand\nnewline"),
        ("", ""),
    ],
)
def test_clean_text_replaces_only_what_a_database_refuses(raw, cleaned):
    assert clean_text(raw) == cleaned
    clean_text(raw).encode("utf-8")  # always encodable


def bot() -> Bot:
    return Bot("123456:TEST")


def test_telegram_inbound_edge_cleans_text_commands_and_buttons():
    update = Update.de_json(text_update(1, 555, "/ask why\x00 \ud83d"), bot())
    incoming = to_incoming(update)
    assert incoming is not None
    assert (incoming.inbound.kind, incoming.inbound.text, incoming.inbound.args) == (
        "command",
        "ask",
        f"why{REPLACEMENT} {REPLACEMENT}",
    )
    pressed = to_incoming(Update.de_json(callback_update(2, 555, "opt\x00"), bot()))
    assert pressed is not None and pressed.inbound.text == f"opt{REPLACEMENT}"


def test_console_inbound_edge_cleans_text():
    transport = ConsoleTransport(write=lambda _line: None)
    assert transport.to_inbound("my back\x00 hurts").text == f"my back{REPLACEMENT} hurts"


async def test_ask_with_nul_is_stored_not_lost(db, service, sender):
    """On PostgreSQL a NUL used to fail the whole event; now the question reaches storage and staff."""
    question = "Is it normal that\x00 my back aches after the walk?"
    incoming = to_incoming(Update.de_json(text_update(10, 555, f"/ask {question}"), bot()))
    assert incoming is not None
    assert await service.handle("test", incoming.chat_id, incoming.event_id, incoming.inbound, incoming.language)
    async with db.reading() as session:
        stored = (await session.execute(select(RelayItem.text))).scalars().all()
    expected = question.replace("\x00", REPLACEMENT)
    assert stored == [expected]  # the relay posts stored items to the staff group (tests/integration/test_relay_*.py)
