"""The relay service on real SQLite and PostgreSQL: items posted once, therapist replies relayed and
closing the queue, notes and strangers kept out, SLA nudges, URGENT repeats until /ack, the week-2
call for another therapist, reply-to routing without topics, and the staff commands."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.engine.model import RelayRecord
from bot.storage.metadata import METADATA
from bot.storage.models import AuditEntry, OutboxMessage, Participant, RelayItem
from bot.storage.tables_relay import RelayLog, RelayTask
from scheduler.sender import DeliveryRefused
from tests.support.relay import (
    ANNA,
    BEN,
    CLEO,
    STRANGER,
    active_participant,
    ask,
    directory,
    insert_item,
    latest_post,
    staff_msg,
    staff_texts,
)


async def test_relay_posts_a_question_once_assigned_with_a_truthful_target(service, relay, sender, transport, db):
    p = await active_participant(service)
    await ask(service, p, "Is swimming OK for my back?", "q1")
    assert await relay.process_pending() == 1
    assert await relay.process_pending() == 0, "an item is posted exactly once"
    await sender.drain()
    staff = transport.sent["staff"]
    assert len(staff) == 1 and "Is swimming OK for my back?" in staff[0]["text"]
    assert staff[0]["relay"]["participant_id"] == p.id and staff[0]["relay"]["topic_name"].startswith(p.code)
    assert "Anna" in staff[0]["text"], "the first participant goes to the first therapist"
    # Monday 08:00 local + one working day -> Tuesday 17:00 local
    assert (
        transport.texts(p.chat_id)[-1]
        == "Your message has reached your therapist, who aims to answer by Tuesday 6 January, 17:00."
    )
    async with db.reading() as session:
        item = (await session.scalars(select(RelayItem))).one()
    assert (item.stage, item.status, item.assigned_to) == ("posted", "open", ANNA)


async def test_relay_round_robin_by_caseload(service, relay, db):
    people = [await active_participant(service, chat=str(4000 + i)) for i in range(4)]
    for i, p in enumerate(people):
        await ask(service, p, "question", f"rr{i}")
    await relay.process_pending()
    async with db.reading() as session:
        items = list(await session.scalars(select(RelayItem).order_by(RelayItem.id)))
    assert [i.assigned_to for i in items] == [ANNA, BEN, CLEO, ANNA]


async def test_therapist_message_in_topic_is_delivered_signed_and_closes_the_item(
    service, relay, sender, transport, db, clock, topics
):
    p = await active_participant(service)
    await ask(service, p, "Is swimming OK?", "q1")
    await relay.process_pending()
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)
    await sender.drain()
    clock.advance(timedelta(minutes=90))
    await relay.handle_staff(
        staff_msg("Yes, swimming is a good choice.", thread=thread, reply_to=await latest_post(db, p.id))
    )
    await sender.drain()
    assert transport.texts(p.chat_id)[-1] == "Yes, swimming is a good choice.\n\n— Your therapist Anna"
    async with db.reading() as session:
        item = (await session.scalars(select(RelayItem))).one()
        log = (await session.scalars(select(RelayLog).where(RelayLog.kind == "response"))).one()
    assert (item.status, item.answered_by) == ("closed", ANNA)
    assert (log.minutes, log.therapist_id, log.week) == (90, ANNA, 0)
    await relay.handle_staff(staff_msg("/queue"))
    await sender.drain()
    assert transport.texts("staff")[-1] == "Nothing is waiting. 🎉"


async def test_note_and_a_non_therapist_message_are_not_delivered(service, relay, sender, transport, db, clock, topics):
    p = await active_participant(service)
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)
    await sender.drain()
    before = len(transport.sent[p.chat_id])
    await relay.handle_staff(staff_msg("/note seemed low on the phone", thread=thread))
    await relay.handle_staff(staff_msg("hello from a visitor", user=STRANGER, thread=thread))
    await sender.drain()
    assert len(transport.sent[p.chat_id]) == before, "nothing reached the participant"
    assert transport.texts("staff")[-1].startswith("📝 Internal note saved for " + p.code)
    async with db.reading() as session:
        note = (await session.scalars(select(RelayLog).where(RelayLog.kind == "note"))).one()
        ignored = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "staff_message_ignored"))).one()
    assert note.text == "seemed low on the phone" and note.therapist_id == ANNA
    assert ignored.actor == f"user:{STRANGER}" and "hello" not in str(ignored.detail)


async def test_a_redelivered_staff_update_relays_once(service, relay, sender, transport, db, clock, topics):
    p = await active_participant(service)
    await ask(service, p, "I walked every day.", "q1")
    await relay.process_pending()
    await sender.drain()
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)
    msg = staff_msg("Good to hear.", thread=thread, reply_to=await latest_post(db, p.id))
    await relay.handle_staff(msg)
    await relay.handle_staff(msg)
    await sender.drain()
    assert transport.texts(p.chat_id).count("Good to hear.\n\n— Your therapist Anna") == 1


async def test_overdue_question_nudges_the_therapist_then_the_group(service, relay, sender, transport, clock, db):
    p = await active_participant(service)
    await ask(service, p, "When does module 2 open?", "q1")
    await relay.process_pending()
    clock.advance(timedelta(hours=30))  # Tuesday 14:00 local: not yet due (17:00)
    await relay.sweep()
    assert not any(t.startswith("⏰") for t in await staff_texts(db))
    clock.advance(timedelta(hours=3, minutes=1))  # Tuesday 17:01 local
    await relay.sweep()
    await relay.sweep()
    nudges = [t for t in await staff_texts(db) if t.startswith("⏰")]
    assert nudges == [f"⏰ Anna: this question from {p.code} was due Tue 06 Jan 17:00 and is still waiting."]
    clock.advance(timedelta(hours=4))
    await relay.sweep()
    await sender.drain()
    group = [m for m in transport.sent["staff"] if m["text"].startswith("⏰ For everyone")]
    assert len(group) == 1 and "relay" not in group[0], "the second nudge goes to the whole group"


async def test_urgent_safety_item_is_pinned_and_repeats_until_ack(service, relay, sender, transport, clock, db, topics):
    p = await active_participant(service)
    record = RelayRecord(
        source="safety:form", text="Risk phrase in a form field", kind="safety", data={"category": "x"}
    )
    await insert_item(db, p, record, clock.now())
    await relay.process_pending()
    await sender.drain()
    first = transport.sent["staff"][-1]
    assert first["text"].startswith("🚨 URGENT · " + p.code) and first.get("pin") is True

    async def repeats_after(minutes: int) -> int:
        clock.advance(timedelta(minutes=minutes))
        await relay.sweep()
        await sender.drain()
        return sum(t.startswith("🚨 URGENT, not yet acknowledged") for t in transport.texts("staff"))

    # back-off: 5 min, 15 min, 1 h, then hourly
    assert [await repeats_after(m) for m in (4, 1, 14, 1, 59, 1)] == [0, 1, 1, 2, 2, 3]
    escalated = [t for t in transport.texts("staff") if t.startswith("🚨 For everyone")]
    assert len(escalated) == 1 and p.code in escalated[0], "after three repeats the whole group is told"
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)
    await relay.handle_staff(staff_msg("/ack", user=BEN, thread=thread))
    clock.advance(timedelta(hours=2))
    await relay.sweep()
    await sender.drain()
    assert (
        transport.texts("staff")[-1]
        == "✅ Acknowledged by Ben. Any URGENT repeats have stopped; the alert is off the queue."
    )
    async with db.reading() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("safety_alert_repeated") == 3 and "safety_alert_posted" in actions and "safety_ack" in actions
    assert "safety_alert_escalated" in actions


async def test_old_style_safety_source_is_treated_as_urgent(service, relay, sender, transport, clock, db):
    p = await active_participant(service)
    await insert_item(db, p, RelayRecord(source="SAFETY", text="phq9.q9 = 1"), clock.now())
    await relay.process_pending()
    await sender.drain()
    assert transport.sent["staff"][-1].get("pin") is True


async def test_week_two_call_goes_to_a_therapist_other_than_the_assigned_one(
    service, relay, sender, transport, clock, db, topics
):
    p = await active_participant(service)
    await relay.sweep()  # assigns Anna
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(RelayTask)) == 0, "no call before week 2"
    clock.advance(timedelta(days=14, hours=1))
    await relay.sweep()
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(RelayTask)) == 0, "not before module 1 opens"
    await service.tick_due()  # module 1 opens for them (09:00): the start of treatment
    assert await relay.sweep() >= 1
    await relay.sweep()
    async with db.reading() as session:
        task = (await session.scalars(select(RelayTask))).one()
    assert task.therapist_id not in (None, ANNA) and task.kind == "call" and len(task.checklist) >= 3
    await sender.drain()
    call = [t for t in transport.texts("staff") if t.startswith("📞 Week-2 phone call")]
    assert len(call) == 1 and "☐" in call[0] and "their own therapist is Anna" in call[0]
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)
    await relay.handle_staff(
        staff_msg(f"/done {p.code} call all fine, diary reminders moved to 20:00", user=BEN, thread=thread)
    )
    async with db.reading() as session:
        task = (await session.scalars(select(RelayTask))).one()
    assert task.status == "done" and task.notes == "all fine, diary reminders moved to 20:00"


async def test_reply_to_mapping_routes_without_topics(service, relay, sender, transport, db):
    p = await active_participant(service)
    await ask(service, p, "Can I use heat packs?", "q1")
    await relay.process_pending()
    await sender.drain()
    async with db.reading() as session:
        staff_row = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == "staff"))
    await relay.handle_staff(staff_msg("Yes, heat often helps.", reply_to=int(staff_row.channel_message_id)))
    await relay.handle_staff(staff_msg("lunch at noon, anyone?", reply_to=None))
    await sender.drain()
    assert transport.texts(p.chat_id)[-1].startswith("Yes, heat often helps.")
    assert not any("lunch at noon" in t for t in transport.texts(p.chat_id))


async def test_reply_command_works_anywhere_in_the_staff_group(service, relay, sender, transport):
    p = await active_participant(service)
    await relay.handle_staff(staff_msg(f"/reply {p.code} Keep going, you are doing well.", user=CLEO))
    await relay.handle_staff(staff_msg("/reply P-9999 hello", user=CLEO))
    await sender.drain()
    assert transport.texts(p.chat_id)[-1] == "Keep going, you are doing well.\n\n— Your therapist Cleo"
    assert transport.texts("staff")[-1] == "I don't know a participant called P-9999."


async def test_staff_commands_assign_caseload_time_and_template(service, relay, sender, transport, db, clock, topics):
    p = await active_participant(service)
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)
    for text in ("/assign Cleo", "/caseload", "/time 12", "/time 5", "/time lots", "/tpl steady", "/tpl nope"):
        await relay.handle_staff(staff_msg(text, thread=thread))
    await sender.drain()
    out = transport.texts("staff")
    assert out[0] == f"👤 {p.code} is now with Cleo."
    assert f"Cleo: 1 participant(s)\n   {p.code} · week 1 · 0 waiting" in out[1]
    assert out[2] == f"⏱ {p.code}, week 1: your time is now 12 min (was 0 min)."
    assert out[3] == f"⏱ {p.code}, week 1: your time is now 5 min (was 12 min).", "/time corrects, never adds"
    assert out[4].startswith("How to use it: /time 12")
    assert out[5].startswith(f'Draft "Steady week" for {p.code}') and "week 1" in out[5]
    assert out[6].startswith("There is no template nope.")
    async with db.reading() as session:
        minutes = list(await session.scalars(select(RelayLog.minutes).where(RelayLog.kind == "time")))
    assert minutes == [5]


async def test_failed_delivery_is_reported_back_into_the_topic(service, relay, sender, transport, db, clock, topics):
    p = await active_participant(service)
    await ask(service, p, "Is cycling fine?", "q1")
    await relay.process_pending()
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)
    await sender.drain()
    await relay.handle_staff(staff_msg("Here is my answer.", thread=thread, reply_to=await latest_post(db, p.id)))
    transport.fail_with.append(DeliveryRefused("forbidden: bot was blocked by the user"))
    await sender.drain()
    await relay.sweep()
    await relay.sweep()
    await sender.drain()
    failed = [t for t in transport.texts("staff") if t.startswith("⚠️ Your message to")]
    assert failed == [f"⚠️ Your message to {p.code} was NOT delivered (forbidden: bot was blocked by the user)."]
    assert any(t.startswith(f"⚠️ Alert · {p.code}") and "cannot reach" in t for t in transport.texts("staff"))


async def test_a_refusal_from_the_staff_group_never_marks_the_participant_unreachable(
    service, relay, sender, transport, db
):
    p = await active_participant(service)
    await ask(service, p, "question", "q1")
    await sender.drain()
    await relay.process_pending()
    transport.fail_with.append(DeliveryRefused("forbidden: bot was kicked from the supergroup chat"))
    await sender.drain()
    async with db.reading() as session:
        row = await session.get(Participant, p.id)
    assert row.unreachable is False


def test_working_day_targets_skip_weekends_and_holidays():
    from datetime import UTC, datetime

    from bot.relay.sla import due_at, nudge_level

    friday_evening = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)
    assert due_at(friday_evening, 1, "Europe/Stockholm") == datetime(2026, 1, 12, 16, 0, tzinfo=UTC)
    assert due_at(friday_evening, 2, "Europe/Stockholm", holidays={date(2026, 1, 12)}) == datetime(
        2026, 1, 14, 16, 0, tzinfo=UTC
    )
    due = datetime(2026, 1, 12, 16, 0, tzinfo=UTC)
    assert [nudge_level(due - timedelta(minutes=1), due, 4), nudge_level(due, due, 4),
            nudge_level(due + timedelta(hours=4), due, 4)] == [0, 1, 2]  # fmt: skip


def test_staff_access_decisions():
    from bot.relay.access import Access, decide

    names = {"reply", "queue"}
    therapists = {ANNA}
    assert decide(staff_msg("/queue", kind="private", chat="11"), "staff", therapists, names) is Access.REFUSE_PRIVATE
    assert decide(staff_msg("/start", kind="private", chat="11"), "staff", therapists, names) is Access.PASS
    assert decide(staff_msg("hi", chat="-100999"), "staff", therapists, names) is Access.LEAVE
    assert decide(staff_msg("hi", user=STRANGER), "staff", therapists, names) is Access.IGNORE_STRANGER
    assert decide(staff_msg("/queue@icbt_bot"), "staff", therapists, names) is Access.COMMAND
    assert decide(staff_msg("hello"), "staff", therapists, names) is Access.RELAY


def test_round_robin_skips_the_excluded_therapist():
    from bot.relay.assign import pick_therapist

    assert pick_therapist([ANNA, BEN, CLEO], {ANNA: 2, BEN: 1, CLEO: 1}) == BEN
    assert pick_therapist([ANNA, BEN], {}, exclude={ANNA}) == BEN
    assert pick_therapist([ANNA], {}, exclude={ANNA}) is None


async def test_relay_tables_in_the_models_match_the_migrations(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), METADATA))
    assert diff == []


async def test_an_old_style_insert_into_relay_items_gets_the_relay_defaults(service, db, clock):
    from sqlalchemy import insert

    p = await active_participant(service)
    async with db.transaction() as session:
        await session.execute(insert(RelayItem.__table__).values(participant_id=p.id, source="free", text="hi",
                                                                 status="open", created_at=clock.now()))  # fmt: skip
    async with db.reading() as session:
        item = (await session.scalars(select(RelayItem))).one()
    assert (item.kind, item.data, item.stage, item.nudges) == ("question", {}, "new", 0)


def test_relay_content_problems_are_reported_as_file_path_problem(tmp_path):
    from bot.errors import ContentError
    from bot.relay.content import load_relay_content
    from tests.support.relay import CONTENT

    (tmp_path / "relay").mkdir()
    text = (CONTENT / "relay" / "en.yaml").read_text(encoding="utf-8")
    text = text.replace("Your goals were: {goals}", "Your goals were: {goal}").replace("  ack: ", "  acked: ")
    (tmp_path / "relay" / "en.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_relay_content(tmp_path)
    file = tmp_path / "relay" / "en.yaml"
    assert f"{file}: staff.ack: missing" in caught.value.problems
    assert f"{file}: staff.acked: unknown key" in caught.value.problems
    assert any(
        p.startswith(f"{file}: templates.steady.text: unknown placeholder {{goal}}") for p in caught.value.problems
    )


def test_the_scheduler_runs_the_relay_sweep(service, relay):
    from scheduler.jobs import build_scheduler, sweep_relay

    scheduler = build_scheduler(service, 60, relay)
    job = scheduler.get_job("sweep_relay")
    assert job is not None and job.func is sweep_relay and job.args == (relay,) and job.misfire_grace_time == 60
