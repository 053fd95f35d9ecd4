"""One participant whose stored state is broken never holds up anyone else, and is not silenced: their
messages are stored and reach staff as text (a risky one still gets the crisis message), they are
quarantined with one ERROR line, and the relay posts everyone else's items as usual (real service
and relay on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from bot.engine import Inbound
from bot.storage.models import OutboxMessage, Participant, RelayItem
from tests.support.relay import active_participant, relay_config, relay_service

BROKEN = {
    "position that is a list": {"position": "[1, 2]"},
    "frame of unknown shape": {"position": '{"frames": [{"nope": 1}]}'},
    "time zone that does not exist": {"timezone": "Mars/Olympus_Mons"},
}


async def _break(db, chat: str, columns: dict[str, str]) -> None:
    cast = {"position": "CAST(:position AS JSON)"} if not db.is_sqlite else {}
    sets = ", ".join(f"{name} = {cast.get(name, ':' + name)}" for name in columns)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"UPDATE participants SET {sets} WHERE chat_id = :chat"), {**columns, "chat": chat})


async def _outbox(db, chat: str) -> list[str]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat).order_by(OutboxMessage.id)
        )
        return [r.payload.get("text", "") for r in rows]


@pytest.mark.parametrize("kind", list(BROKEN))
async def test_a_broken_participant_is_quarantined_relayed_as_text_and_blocks_nobody(
    db, programme, clock, service, caplog, kind
):
    await active_participant(service, chat="1001")
    await active_participant(service, chat="2002")
    await _break(db, "1001", BROKEN[kind])
    with caplog.at_level(logging.ERROR):
        assert await service.handle("test", "1001", "b-1", Inbound(kind="text", text="my back hurts a lot today"))
        assert await service.handle("test", "1001", "b-2", Inbound(kind="text", text="I want to kill myself"))
    assert await service.handle("test", "2002", "h-1", Inbound(kind="command", text="ask", args="Can I swim?"))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 1 <= len(errors) <= 2 and all(r.exc_info is None for r in errors)  # one line per event it failed
    assert not any("back hurts" in r.getMessage() for r in caplog.records)  # their words are not logged
    said = await _outbox(db, "1001")
    assert programme.msg("en", "inbound.held") in said
    assert any("112" in t for t in said)  # the crisis message, in the same event
    async with db.reading() as session:
        broken = await session.scalar(select(Participant).where(Participant.chat_id == "1001"))
        items = {r.text: r for r in await session.scalars(select(RelayItem))}
    assert broken.quarantined_at is not None
    assert items["my back hurts a lot today"].kind == "free" and items["I want to kill myself"].kind == "safety"

    relay = relay_service(db, clock, programme, relay_config())
    with caplog.at_level(logging.ERROR):
        await relay.process_pending()
    staff = await _outbox(db, "staff")
    assert any("Can I swim?" in t and "Question" in t for t in staff)  # the healthy one, as usual
    assert any("my back hurts a lot today" in t for t in staff)
    assert any("I want to kill myself" in t for t in staff)
    async with db.reading() as session:
        assert set(await session.scalars(select(RelayItem.stage))) == {"posted"}


async def test_a_button_of_a_broken_participant_is_answered_truthfully(db, programme, service):
    await active_participant(service, chat="1001")
    await _break(db, "1001", BROKEN["position that is a list"])
    assert await service.handle("test", "1001", "b-1", Inbound(kind="choice", text="WD|use"))
    assert (await _outbox(db, "1001"))[-1] == programme.msg("en", "inbound.held_button")
    async with db.reading() as session:
        assert (await session.scalar(select(Participant).where(Participant.chat_id == "1001"))).status == "active"
