"""A participant whose stored record breaks mid-programme, through Telegram and the staff group (real
service, relay and sender over the fake Bot API, on the fake clock).

They start, answer along for a while; then their record cannot be read any more (an admin's mistake
in the database). They keep writing: each message is still saved and reaches the staff group in their
own words, they are told truthfully that it was passed on and the programme is paused, a risky text
still gets the crisis resources and an URGENT alert in the same event, an old button changes nothing,
and another participant is not held up at any point. An admin sees them quarantined.
"""

from __future__ import annotations

from sqlalchemy import text

from bot.storage.quarantine import quarantined
from tests.conftest import DB_KINDS, database_fixture
from tests.support.fake_bot_api import callback_update, text_update
from tests.support.journey import CHAT

db = database_fixture(DB_KINDS)  # what storage keeps is the point here: SQLite and PostgreSQL

OTHER = 556


async def test_a_broken_record_keeps_the_participant_heard_and_nobody_else_waits(journey, programme, db):
    j = journey
    await j.text("/start")
    for _ in range(6):
        await j.answer_along()
    old_button = next(b for p in reversed(j.to_participant()) for b in j.keyboard(p))["callback_data"]
    async with db.engine.begin() as conn:  # the record breaks
        await conn.execute(text("UPDATE participants SET timezone = 'Nowhere/Atlantis', position = '[1]' WHERE chat_id = :c"),
                           {"c": str(CHAT)})  # fmt: skip
    before = len(j.to_participant())
    await j.text("My back is worse since Tuesday, can someone call me?")
    said = j.to_participant()[before:]
    assert [s["text"] for s in said] == [programme.msg("en", "inbound.held")]
    await j.settle()
    assert any("My back is worse since Tuesday" in m["text"] for m in j.to_staff()), "their own words reach staff"

    j.update_id += 1
    await j.feed(text_update(j.update_id, OTHER, "/start"))  # someone else meanwhile: answered as usual
    assert any(int(p["chat_id"]) == OTHER for p in j.api.sent())

    before = len(j.to_participant())
    await j.text("I want to end my life")
    said = j.to_participant()[before:]
    assert "112" in said[0]["text"], "the crisis resources in the same event"
    staff_before = len(j.to_staff())
    await j.settle()
    alert = [m for m in j.to_staff()[staff_before:] if "I want to end my life" in m["text"]]
    assert len(alert) == 1 and alert[0].get("message_thread_id") is not None, "in their own topic"
    assert j.api.sent("pinChatMessage"), "an URGENT alert, pinned"

    before = len(j.to_participant())
    j.update_id += 1
    await j.feed(callback_update(j.update_id, CHAT, old_button))  # a button from before the break
    assert [s["text"] for s in j.to_participant()[before:]] == [programme.msg("en", "inbound.held_button")]
    assert [code for code, _ in await quarantined(db)] == ["P-0001"]
