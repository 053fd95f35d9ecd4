"""Only words meant for a participant reach them, over a real PTB Application and the fake Bot API:
a reply to their post, /reply, or the "Send to" button; staff talk in the topic is kept and marked;
an edited reply reaches them as a marked correction; nothing a therapist does goes unanswered."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Participant
from bot.storage.tables_relay import RelayLog
from tests.support.fake_bot_api import edited_group_message, group_message, staff_button, text_update
from tests.support.relay import ANNA, BEN, latest_post
from tests.support.staff_telegram import CHAT, STAFF


async def test_staff_talk_in_a_topic_stays_among_staff_and_is_marked_as_kept(tg):
    p = await tg.participant()
    await tg.ask("Can I garden this weekend?")
    thread = await tg.thread(p.id)
    before = len(tg.to_participant())
    await tg.staff("Ben, can you cover her? She is close to dropping out.", thread=thread)
    assert len(tg.to_participant()) == before, "a message that answers no post never reaches the participant"
    marker = tg.to_staff()[-1]
    assert marker["text"].startswith(f"🔒 Kept among staff: not sent to {p.code}.")
    assert int(marker["message_thread_id"]) == thread
    buttons = marker["reply_markup"]["inline_keyboard"]
    assert [b["text"] for row in buttons for b in row] == [f"Send to {p.code}"], "it can be sent after all"


async def test_the_send_button_delivers_a_kept_message_once(tg, db):
    p = await tg.participant()
    await tg.ask("Is it normal that the exercise feels strange?")
    thread = await tg.thread(p.id)
    await tg.staff("Yes, that is normal in the first week.", thread=thread)
    marker_id = await _last_staff_message_id(tg)
    button = f"staff:send:{await _kept_id(db)}"
    tg.update_id += 1
    await tg.feed(staff_button(tg.update_id, STAFF, ANNA, marker_id, button))
    assert tg.to_participant()[-1]["text"] == "Yes, that is normal in the first week.\n\n— Your therapist Anna"
    assert tg.api.sent("answerCallbackQuery")[-1]["text"] == f"✅ Sent to {p.code}."
    sent = len(tg.to_participant())
    tg.update_id += 1
    await tg.feed(staff_button(tg.update_id, STAFF, BEN, marker_id, button))
    assert len(tg.to_participant()) == sent, "pressed twice, sent once"
    assert tg.api.sent("answerCallbackQuery")[-1]["text"] == f"That message was already sent to {p.code}."


async def test_an_edited_reply_reaches_the_participant_as_a_marked_correction(tg, db):
    p = await tg.participant()
    await tg.ask("How much paracetamol may I take?")
    thread = await tg.thread(p.id)
    tg.update_id += 1
    original = group_message(tg.update_id, STAFF, ANNA, "Take 1000 mg.", thread=thread,
                             reply_to=await latest_post(db, p.id))  # fmt: skip
    await tg.feed(original)
    assert tg.to_participant()[-1]["text"] == "Take 1000 mg.\n\n— Your therapist Anna"
    tg.update_id += 1
    await tg.feed(edited_group_message(tg.update_id, original["message"], "Take 500 mg."))
    assert tg.to_participant()[-1]["text"] == (
        "A correction to my earlier message:\n\nTake 500 mg.\n\n— Your therapist Anna"
    )
    assert tg.to_staff()[-1]["text"] == f"✏️ Your edit was sent to {p.code} as a correction."


async def test_an_edited_kept_message_is_sent_as_edited(tg, db):
    p = await tg.participant()
    await tg.ask("Should I stop the stretching?")
    thread = await tg.thread(p.id)
    tg.update_id += 1
    kept = group_message(tg.update_id, STAFF, ANNA, "No, kep going.", thread=thread)
    await tg.feed(kept)
    tg.update_id += 1
    await tg.feed(edited_group_message(tg.update_id, kept["message"], "No, keep going gently."))
    tg.update_id += 1
    await tg.feed(staff_button(tg.update_id, STAFF, ANNA, 1, f"staff:send:{await _kept_id(db)}"))
    assert tg.to_participant()[-1]["text"] == "No, keep going gently.\n\n— Your therapist Anna"


async def test_help_unknown_commands_and_unroutable_messages_get_an_answer(tg):
    await tg.participant()
    await tg.staff("/help")
    shown = tg.to_staff()[-1]["text"]
    assert shown.startswith("Staff commands") and "/week P-0002 4" in shown and "/tpl <template>" in shown
    assert "/interviewed" in shown or "/reply P-0002 your message" in shown
    await tg.staff("/frobnicate")
    assert tg.to_staff()[-1]["text"] == "I don't know /frobnicate. /help lists the staff commands."
    await tg.staff("Thanks, noted.", reply_to=tg.api.next_message_id)  # a reply to the bot's /help answer
    assert tg.to_staff()[-1]["text"].startswith(
        "Not sent to anyone: this message is not a reply to a participant's post."
    )


async def test_help_in_a_private_chat_is_the_participant_help_not_a_refusal(tg, db):
    await tg.feed(text_update(1, ANNA, "/week P-0001 2"))
    assert tg.api.sent()[-1]["text"].startswith("Staff commands work only in the staff group")
    await tg.feed(text_update(2, CHAT, "/help"))
    assert not tg.api.sent()[-1]["text"].startswith("Staff commands work only"), "a participant's /help is theirs"
    async with db.reading() as session:
        assert (await session.scalars(select(Participant.chat_id))).all() == [str(CHAT)]


async def _last_staff_message_id(harness) -> int:
    return harness.api.next_message_id  # the fake numbers messages in order: the last one sent was the marker


async def _kept_id(db) -> int:
    async with db.reading() as session:
        return int(
            await session.scalar(select(RelayLog.id).where(RelayLog.kind.like("kept%")).order_by(RelayLog.id.desc()))
        )
