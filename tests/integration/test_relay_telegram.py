"""The therapist relay end to end: a real PTB Application and Bot over the fake Bot API, a staff
supergroup with forum topics, real SQLite/PostgreSQL storage and the real content."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from telegram import Update

from bot.channels.telegram.convert import to_incoming
from bot.channels.telegram.transport import TEXT_LIMIT, utf16_units
from bot.engine import Inbound
from bot.engine.model import RelayRecord
from bot.storage.models import OutboxMessage, Participant, RelayItem
from tests.support.fake_bot_api import bot_added, group_message, photo_update, text_update
from tests.support.relay import ANNA, BEN, STRANGER, insert_item, latest_post
from tests.support.staff_telegram import CHAT, STAFF


async def test_relay_burst_of_20_first_messages_creates_one_topic(tg):
    p = await tg.participant()
    updates = [text_update(100 + i, CHAT, f"/ask question number {i}") for i in range(20)]
    await asyncio.gather(*(tg.application.process_update(Update.de_json(u, tg.application.bot)) for u in updates))
    await asyncio.gather(*(tg.relay.process_pending() for _ in range(4)))
    async with tg.db.reading() as session:
        pending = (await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == str(STAFF)))).all()
    assert len(pending) == 20, "each question posted once however many posters ran"
    name = pending[0].payload["relay"]["topic_name"]
    threads = await asyncio.gather(*(tg.topics.thread_for(p.id, name) for _ in range(20)))
    await tg.sender.drain()
    assert len(tg.api.sent("createForumTopic")) == 1 and len(set(threads)) == 1
    questions = [m for m in tg.to_staff() if m["text"].startswith("❓")]
    assert len(questions) == 20 and {int(m["message_thread_id"]) for m in questions} == set(threads)
    assert tg.api.sent("createForumTopic")[0]["name"] == f"{p.code} · week 1", "named by code, never the Telegram name"


async def test_relay_question_report_and_photo_are_copied_into_the_topic(tg, db, clock):
    p = await tg.participant()
    await tg.ask("Is it fine to swim with back pain?")
    thread = await tg.thread(p.id)
    question = tg.to_staff()[-1]
    assert int(question["message_thread_id"]) == thread and "Is it fine to swim" in question["text"]
    report = RelayRecord(source="week02.report", text="Breathing helped most evenings.", kind="report",
                         data={"week": 2, "homework": [{"title": "Calm breathing", "done": True},
                                                       {"title": "Goals", "done": False}]})  # fmt: skip
    await insert_item(db, p, report, clock.now())
    await tg.settle()
    posted = tg.to_staff()[-1]
    assert int(posted["message_thread_id"]) == thread
    assert posted["text"].startswith(f"📋 Week 3 · {p.code} · Module 1: Understanding pain · weekly report in")
    assert f"To answer {p.code}: reply to this post" in posted["text"]
    # A participant's photo: the channel keeps a reference; the relay copies it by chat + message id.
    incoming = to_incoming(Update.de_json(photo_update(900, CHAT, "PHOTO1", "my desk"), tg.application.bot))
    assert incoming.inbound.attachment == {"kind": "photo", "file_id": "PHOTO1", "chat_id": CHAT, "message_id": 900}
    record = RelayRecord(source="free", text="my desk", kind="free", data={"attachment": incoming.inbound.attachment})
    await insert_item(db, p, record, clock.now())
    await tg.settle()
    copy = tg.api.sent("copyMessage")[-1]
    assert (int(copy["chat_id"]), int(copy["from_chat_id"]), int(copy["message_id"])) == (STAFF, CHAT, 900)
    assert int(copy["message_thread_id"]) == thread
    assert tg.api.sent("forwardMessage") == [], "copied, never forwarded"


async def test_therapist_message_reaches_the_participant_signed_and_closes_the_item(tg, db):
    p = await tg.participant()
    await tg.ask("Should I stretch before walking?")
    thread = await tg.thread(p.id)
    question = await latest_post(db, p.id)
    await tg.staff("Yes, a short warm-up helps.", thread=thread, reply_to=question)
    reply = tg.to_participant()[-1]
    assert reply["text"] == "Yes, a short warm-up helps.\n\n— Your therapist Anna"
    assert "11" not in reply["text"] and "Staff" not in reply["text"], "no therapist account details"
    async with db.reading() as session:
        item = (await session.scalars(select(RelayItem))).one()
    assert item.status == "closed" and item.answered_by == ANNA
    await tg.staff("Here is the stretching sheet", thread=thread, document="DOC1", reply_to=question)
    copy = tg.api.sent("copyMessage")[-1]
    assert (int(copy["chat_id"]), int(copy["from_chat_id"])) == (CHAT, STAFF)
    assert copy["caption"] == "Here is the stretching sheet\n\n— Your therapist Anna"


async def test_note_and_a_non_therapist_message_are_not_delivered_over_telegram(tg):
    p = await tg.participant()
    await tg.ask("question")
    thread = await tg.thread(p.id)
    before = len(tg.to_participant())
    await tg.staff("/note discussed with supervisor", thread=thread)
    await tg.staff("I am not a therapist", user=STRANGER, thread=thread)
    assert len(tg.to_participant()) == before
    assert tg.to_staff()[-1]["text"].startswith("📝 Internal note saved")


async def test_topic_is_recreated_after_thread_not_found(tg, db):
    p = await tg.participant()
    await tg.ask("first")
    old = await tg.thread(p.id)
    tg.api.deleted_threads.add(old)  # someone deleted the topic in Telegram
    await tg.ask("second")
    new = await tg.thread(p.id)
    assert new != old and len(tg.api.sent("createForumTopic")) == 2
    last = tg.to_staff()[-1]
    assert int(last["message_thread_id"]) == new and "second" in last["text"]
    async with db.reading() as session:
        failed = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent"))).all()
    assert failed == [], "nothing was lost on the way"


async def test_reply_to_mapping_works_in_a_staff_group_without_topics(tg):
    tg.api.forum = False
    p = await tg.participant()
    await tg.ask("Can I use a heat pad?")
    posted = tg.to_staff()[-1]
    assert "message_thread_id" not in posted and await tg.thread(p.id) is None
    await tg.staff("Yes, for 15 minutes at a time.", reply_to=int(await _last_staff_message_id(tg)))
    assert tg.to_participant()[-1]["text"].startswith("Yes, for 15 minutes at a time.")


async def _last_staff_message_id(tg) -> str:
    async with tg.db.reading() as session:
        return await session.scalar(
            select(OutboxMessage.channel_message_id)
            .where(OutboxMessage.chat_id == str(STAFF))
            .order_by(OutboxMessage.id.desc())
        )


async def test_the_bot_leaves_a_foreign_group(tg):
    await tg.feed(bot_added(1, -100999, by=STRANGER))
    await tg.feed(group_message(2, -100777, STRANGER, "hello bot", chat_type="group"))
    left = [int(c["chat_id"]) for c in tg.api.sent("leaveChat")]
    assert left == [-100999, -100777]


async def test_staff_commands_are_refused_in_a_private_chat(tg, db):
    await tg.feed(text_update(1, ANNA, "/queue"))
    assert tg.api.sent()[-1]["text"] == (
        "Staff commands work only in the staff group (in a participant's topic, or with their code). Nothing was done here."
    )
    async with db.reading() as session:
        assert (await session.scalars(select(Participant))).all() == [], "the engine never saw it"


async def test_urgent_safety_alert_is_pinned_and_repeats_until_ack(tg, db, clock):
    p = await tg.participant()
    await insert_item(db, p, RelayRecord(source="safety:ask", text="Risk phrase in /ask", kind="safety"), clock.now())
    await tg.settle()
    alert = tg.to_staff()[-1]
    assert alert["text"].startswith("🚨 URGENT")
    pins = tg.api.sent("pinChatMessage")
    assert len(pins) == 1 and int(pins[0]["chat_id"]) == STAFF
    for _ in range(2):
        clock.advance(timedelta(minutes=15))
        await tg.relay.sweep()
        await tg.sender.drain()
    assert sum(m["text"].startswith("🚨 URGENT, not yet") for m in tg.to_staff()) == 2
    await tg.staff("/ack", user=BEN, thread=await tg.thread(p.id))
    clock.advance(timedelta(hours=1))
    await tg.relay.sweep()
    await tg.sender.drain()
    assert sum(m["text"].startswith("🚨 URGENT, not yet") for m in tg.to_staff()) == 2
    assert tg.to_staff()[-1]["text"].startswith("✅ Acknowledged by Ben")


async def test_a_403_from_the_staff_group_does_not_touch_the_participant(tg, db):
    p = await tg.participant()
    tg.api.refusing_chats.add(STAFF)
    await tg.ask("Are you there?")
    async with db.reading() as session:
        row = await session.get(Participant, p.id)
        item = (await session.scalars(select(RelayItem))).one()
    assert row.unreachable is False and item.stage == "posted"
    told = [m["text"] for m in tg.to_participant()]
    assert any("as soon as I can" in t for t in told), "told honestly that it is on its way"
    assert not any("has reached your therapist" in t for t in told), "never told it arrived while it waits"


async def test_participant_photo_becomes_an_inbound_attachment(tg):
    incoming = to_incoming(Update.de_json(photo_update(7, CHAT, "PH"), tg.application.bot))
    assert incoming.inbound == Inbound(kind="text", text="", attachment={"kind": "photo", "file_id": "PH",
                                                                          "chat_id": CHAT, "message_id": 7})  # fmt: skip


async def test_topic_is_renamed_when_the_participant_week_changes(tg, clock):
    p = await tg.participant()
    await tg.ask("week zero question")
    thread = await tg.thread(p.id)
    assert tg.api.topics[thread] == f"{p.code} · week 1"
    clock.advance(timedelta(days=7))
    await tg.ask("week one question")
    assert await tg.thread(p.id) == thread and tg.api.topics[thread] == f"{p.code} · week 2"
    assert len(tg.api.sent("createForumTopic")) == 1 and len(tg.api.sent("editForumTopic")) == 1


async def test_topic_name_carries_the_allocated_arm(tg):
    p = await tg.participant()
    async with tg.db.transaction() as session:
        row = await session.get(Participant, p.id)
        row.position = {**row.position, "arm": "waiting_list"}  # as the chat's draw stores it
    await tg.ask("a question after the draw")
    thread = await tg.thread(p.id)
    assert tg.api.topics[thread] == f"{p.code} · Waiting list · week 1"


async def test_a_therapist_reply_with_a_lone_surrogate_reaches_the_participant(tg, db):
    p = await tg.participant()
    await tg.ask("Is swimming good?")
    thread, question = await tg.thread(p.id), await latest_post(db, p.id)
    await tg.staff("Yes \ud83d it is, go gently.", thread=thread, reply_to=question)  # half an emoji from a client
    reply = tg.to_participant()[-1]
    assert reply["text"] == "Yes \ufffd it is, go gently.\n\n— Your therapist Anna"
    async with db.reading() as session:
        assert (await session.scalars(select(RelayItem))).one().status == "closed"


async def test_a_long_message_full_of_emoji_reaches_staff_in_parts_within_telegrams_limit(tg):
    await tg.participant()
    words = " ".join(["my back 😣 hurts"] * 300)  # ~4,800 characters, each 😣 two UTF-16 units
    await tg.ask(words)
    posts = [p["text"] for p in tg.api.sent() if int(p["chat_id"]) == STAFF]
    assert all(utf16_units(text) <= TEXT_LIMIT for text in posts)
    assert "".join(posts).count("😣") == 300  # every word arrived
