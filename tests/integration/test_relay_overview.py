"""The pinned queue overview in the staff group's general thread, over real PTB and the fake Bot API:
posted and pinned once, edited in place (editMessageText) when the queue changes and left alone when
it does not, and posted anew and pinned when someone deleted it."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.tables_relay import RelayOverview
from tests.support.relay import latest_post
from tests.support.staff_telegram import STAFF

HEADER = "📌 The queue as of"


async def sweep(harness) -> None:
    await harness.relay.sweep()
    await harness.sender.drain()


def overview_posts(harness) -> list[dict]:
    return [m for m in harness.to_staff() if m["text"].startswith(HEADER)]


async def stored_id(db) -> int | None:
    async with db.reading() as session:
        return await session.scalar(select(RelayOverview.message_id))


async def test_the_queue_overview_is_pinned_once_and_edited_in_place_and_reposted_when_deleted(tg, db):
    p = await tg.participant()
    await sweep(tg)
    assert len(overview_posts(tg)) == 1 and "Nothing is waiting" in overview_posts(tg)[0]["text"]
    pins = tg.api.sent("pinChatMessage")
    assert len(pins) == 1 and int(pins[0]["chat_id"]) == STAFF
    first = int(pins[0]["message_id"])
    await sweep(tg)  # the queue has not changed: no edit, no post
    await sweep(tg)
    assert tg.api.sent("editMessageText") == [] and len(overview_posts(tg)) == 1
    assert await stored_id(db) == first

    await tg.ask("Can I go swimming?")
    await sweep(tg)
    edits = tg.api.sent("editMessageText")
    assert len(edits) == 1 and int(edits[0]["message_id"]) == first and int(edits[0]["chat_id"]) == STAFF
    assert edits[0]["text"].startswith(HEADER) and f"   {p.code} · question" in edits[0]["text"]
    assert "❓ Questions and messages:" in edits[0]["text"], "the same words as /queue"
    assert len(overview_posts(tg)) == 1 and len(tg.api.sent("pinChatMessage")) == 1, "edited, not posted again"

    tg.api.deleted_messages.add(first)  # someone deleted the pinned overview
    await tg.staff("Yes, swimming is fine.", thread=await tg.thread(p.id), reply_to=await latest_post(db, p.id))
    await sweep(tg)  # the queue changed (the question is answered): the edit fails, a new one is pinned
    assert len(tg.api.sent("editMessageText")) == 2
    reposted = overview_posts(tg)
    assert len(reposted) == 2 and "Nothing is waiting" in reposted[-1]["text"]
    pins = tg.api.sent("pinChatMessage")
    assert len(pins) == 2 and int(pins[-1]["message_id"]) != first
    await sweep(tg)
    assert await stored_id(db) == int(pins[-1]["message_id"]), "the new message is the overview from now on"

    await tg.ask("And cycling?")
    await sweep(tg)
    assert int(tg.api.sent("editMessageText")[-1]["message_id"]) == int(pins[-1]["message_id"])
