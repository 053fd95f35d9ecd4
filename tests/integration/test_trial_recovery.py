"""The trial in the chat when things go wrong: an erasure after the whole chat leaves no trace, a draw
whose result never reached the participant's state is picked up, and someone not taken in who writes
again is screened and answered kindly (real service on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from bot.engine import Inbound
from bot.storage.models import RelayItem
from bot.trial.mydata import MyData
from bot.trial.privacy import ParticipantData
from tests.support.chat import CHAT
from tests.support.stored import file_bytes, rows_holding
from tests.support.trial_chat import TYPED, apply, include_and_agree, through_welcome


async def test_erase_after_the_whole_chat_leaves_the_marker_nowhere_in_the_database(
    db, programme, clock, chat, trial_chat, sender, transport
):
    """The real chat path: the marker typed as the contact, told to the therapist, exported with /mydata
    (the file travels in an outbox row) and repeated by the staff command; then `participants erase`."""
    marker = "Heron-5521-my-own-words"
    trial_chat.mydata = MyData.build(db, programme, clock, retention_days=90, purge_days=30)
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "contact": f"{marker} call 0701234567"})
    await include_and_agree(chat, trial_chat, sender, transport, reason=f"{marker} motivated")
    await chat.send(Inbound(kind="command", text="ask", args=f"{marker}: can I swim?"))
    await chat.send(Inbound(kind="command", text="mydata"))
    assert marker in transport.sent[CHAT][-1]["document"]["content"]
    assert set(await rows_holding(db, marker)) >= {"trial_applications", "trial_interviews", "outbox", "relay_items"}
    data = ParticipantData(db, programme, clock, retention_days=90, outbox_purge_days=30)
    await data.erase("P-0001", by="admin:alice")
    assert await rows_holding(db, marker) == []
    assert await rows_holding(db, "0701234567") == []
    if db.is_sqlite:
        assert marker.encode() not in file_bytes(db)


async def test_someone_not_taken_in_who_writes_again_gets_the_kind_words_and_is_still_screened(
    db, programme, chat, transport
):
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "age": "17"})
    await chat.send(Inbound(kind="text", text="hello?"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.start_not_eligible")
    await chat.send(Inbound(kind="text", text="I want to kill myself"))
    assert any("112" in t for t in transport.texts(CHAT)[-2:])
    async with db.reading() as session:
        assert (await session.scalar(select(RelayItem))).kind == "safety"
