"""Technical help end to end: a participant's /techhelp becomes a task post in their topic, listed in
/queue under tasks, answered by a reply to the post, closed by its Done button or /done; a new
request opens it again."""

from __future__ import annotations

from sqlalchemy import select

from bot.engine import Inbound
from bot.storage.models import OutboxMessage
from bot.storage.tables_relay import RelayTask
from tests.support.relay import BEN, active_participant, staff_msg, staff_texts

POST = "🛠 Technical help · "


async def task_of(db, participant_id: int) -> RelayTask:
    async with db.reading() as session:
        return (await session.scalars(select(RelayTask).where(RelayTask.participant_id == participant_id))).one()


async def queue(relay, db) -> str:
    await relay.handle_staff(staff_msg("/queue", user=BEN))
    return (await staff_texts(db))[-1]


async def test_techhelp_becomes_a_task_in_the_topic_listed_in_the_queue_and_closed_by_its_button(
    service, relay, db, sender, transport
):
    p = await active_participant(service, chat="6101")
    await sender.drain()
    await service.handle("test", "6101", "th-1", Inbound(kind="command", text="techhelp"))
    await sender.drain()
    assert transport.texts("6101")[-1].startswith("Sorry something isn't working. What happened?")
    before = len(transport.texts("6101"))
    await service.handle("test", "6101", "th-2", Inbound(kind="text", text="The diary reminder never comes"))
    await sender.drain()
    told = transport.texts("6101")[before:]
    assert told[0].startswith("Thank you. The study staff have your message"), "then back to where they were"
    await relay.process_pending()
    await sender.drain()
    posts = [m for m in transport.sent["staff"] if m["text"].startswith(POST)]
    assert len(posts) == 1, "one task post"
    post = posts[0]
    assert post["relay"]["participant_id"] == p.id, "in the participant's topic"
    assert f"{p.code} says something isn't working:\n\nThe diary reminder never comes" in post["text"]
    button = post["buttons"][0][0]
    assert button["label"] == "✅ Done" and button["data"].startswith("staff:task:")
    shown = await queue(relay, db)
    assert "📞 Tasks:" in shown and f"   {p.code} · technical help" in shown
    assert "❓ Questions and messages:" not in shown, "a task, not a question with a target"

    async with db.reading() as session:  # a therapist's reply to the post reaches the participant
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.payload["text"].as_string().like(f"{POST}%"))
        )
    await relay.handle_staff(
        staff_msg("Please check the reminder time in /settings.", reply_to=int(row.channel_message_id))
    )
    await sender.drain()
    assert transport.texts("6101")[-1].startswith("Please check the reminder time in /settings.")

    answer = await relay.handle_staff(staff_msg("", user=BEN, button=button["data"]))
    assert answer.button_answer == f"✅ Task for {p.code} marked done by Ben."
    assert (await task_of(db, p.id)).status == "done"
    assert "technical help" not in await queue(relay, db)


def sender_buttons(transport, chat: str) -> list[dict]:
    return [b for row in transport.sent[chat][-1]["buttons"] for b in row]


async def test_a_new_request_opens_the_task_again_and_done_closes_it(service, relay, db, sender, transport):
    p = await active_participant(service, chat="6102")
    await service.handle("test", "6102", "th-1", Inbound(kind="command", text="techhelp", args="Buttons do nothing"))
    await relay.process_pending()
    await relay.handle_staff(staff_msg(f"/done {p.code} technical restarted the app with them"))
    assert (await task_of(db, p.id)).status == "done"
    assert (await staff_texts(db))[-1] == f"✅ Task for {p.code} marked done by Anna."
    await service.handle("test", "6102", "th-3", Inbound(kind="command", text="techhelp"))
    await sender.drain()
    cancel = sender_buttons(transport, "6102")[0]
    assert cancel["label"] == "Never mind, it works now"
    await service.handle("test", "6102", "th-4", Inbound(kind="choice", text=cancel["data"]))
    await relay.process_pending()
    await sender.drain()
    assert any(t.startswith("Good to hear. If something stops working") for t in transport.texts("6102")[-3:])
    assert (await task_of(db, p.id)).status == "done", "nothing sent, nothing opened"
    await relay.handle_staff(staff_msg(f"/done {p.code} technical"))
    assert (await staff_texts(db))[-1] == f"There is no open technical help task for {p.code}."
    await service.handle("test", "6102", "th-2", Inbound(kind="command", text="techhelp", args="Still nothing"))
    await relay.process_pending()
    task = await task_of(db, p.id)
    assert task.status == "open", "the same task, open again"
    assert f"   {p.code} · technical help" in await queue(relay, db)
