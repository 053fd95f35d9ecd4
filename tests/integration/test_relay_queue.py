"""A queue to trust, on real storage: everything open in the order to take it (alerts, overdue answers,
weekly feedback due, questions, tasks), with deadline and therapist, a page at a time, nothing open
missing (a withdrawn participant's items included); alerts end with /ack, tasks with a button."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.engine.model import RelayRecord
from bot.storage.models import Participant
from bot.storage.tables_relay import RelayTask
from tests.support.relay import FakeTopics, active_participant, ask, directory, insert_item, staff_msg, staff_texts


async def test_the_queue_lists_everything_open_in_the_order_to_take_it(service, relay, db, clock):
    people = [await active_participant(service, chat=str(6000 + i)) for i in range(5)]
    urgent, late_report, overdue, report, fresh = people
    await ask(service, overdue, "Is swimming fine?", "q-overdue")
    await relay.process_pending()
    clock.advance(timedelta(days=2))  # that question is now past its target
    await insert_item(db, urgent, RelayRecord(source="safety:ask", text="Risk phrase", kind="safety"), clock.now())
    await insert_item(db, late_report, RelayRecord(source="report:week02", text="The weekly report has not come in.",
                                                   kind="alert", data={"module": "week02", "week": 2}), clock.now())  # fmt: skip
    await insert_item(db, report, RelayRecord(source="week02.weekly_report", text="", kind="report",
                                              data={"module": "week02", "week": 2}), clock.now())  # fmt: skip
    await ask(service, fresh, "When does module 2 open?", "q-fresh")
    await relay.process_pending()
    await relay.open_call_task(fresh.id)
    async with db.transaction() as session:  # a withdrawn participant's open alert stays on the queue
        await session.execute(update(Participant).where(Participant.id == late_report.id).values(status="withdrawn"))
    await relay.handle_staff(staff_msg("/queue"))
    shown = (await staff_texts(db))[-1].splitlines()
    assert shown[0] == "Open: 6 (alerts first, then what is overdue, feedback due, questions, tasks)"
    headings = [line for line in shown if not line.startswith("   ")][1:]
    assert headings == ["🚨 URGENT, not acknowledged (/ack in the topic):", "⚠️ Alerts (/ack in the topic):",
                        "⏰ Past their target:", "📋 Weekly feedback due:", "❓ Questions and messages:", "📞 Tasks:"]  # fmt: skip
    codes = [line.split(" · ")[0].strip() for line in shown if line.startswith("   ")]
    assert codes == [urgent.code, late_report.code, overdue.code, report.code, fresh.code, fresh.code]
    overdue_line = next(line for line in shown if line.strip().startswith(overdue.code))
    assert "· Anna · target Tue 06 Jan 17:00 · OVERDUE" in overdue_line, "deadline and therapist"
    assert "week-2 call" in shown[-1]


async def test_ack_takes_an_alert_off_the_queue_and_a_button_closes_a_task(service, relay, db, clock):
    p = await active_participant(service)
    await insert_item(db, p, RelayRecord(source="report:week02", text="The weekly report has not come in.",
                                         kind="alert", data={"module": "week02", "week": 2}), clock.now())  # fmt: skip
    await relay.process_pending()
    await relay.open_call_task(p.id)
    thread = await directory(db, clock, FakeTopics()).thread_for(p.id, p.code)
    await relay.handle_staff(staff_msg("/ack", thread=thread))
    async with db.reading() as session:
        task = (await session.scalars(select(RelayTask))).one()
    answer = await relay.handle_staff(staff_msg("", button=f"staff:task:{task.id}"))
    assert answer.button_answer == f"✅ Task for {p.code} marked done by Anna."
    await relay.handle_staff(staff_msg("/queue"))
    assert (await staff_texts(db))[-1] == "Nothing is waiting. 🎉"
    again = await relay.handle_staff(staff_msg("", button=f"staff:task:{task.id}"))
    assert again.button_answer == f"That task for {p.code} is already done."
    async with db.reading() as session:
        task = (await session.scalars(select(RelayTask))).one()
    assert task.status == "done" and task.done_at is not None


async def test_a_long_queue_comes_a_page_at_a_time_and_no_row_is_lost(service, relay, db):
    people = [await active_participant(service, chat=str(7000 + i)) for i in range(18)]
    for i, p in enumerate(people):
        await ask(service, p, f"question {i}", f"q{i}")
    await relay.process_pending()
    await relay.handle_staff(staff_msg("/queue"))
    first = (await staff_texts(db))[-1].splitlines()
    assert first[-1] == "Page 1 of 2: /queue 2 for the next."
    await relay.handle_staff(staff_msg("/queue 2"))
    second = (await staff_texts(db))[-1].splitlines()
    assert second[-1] == "Page 2 of 2: /queue 1 for the next."
    rows = [line.split(" · ")[0].strip() for line in first + second if line.startswith("   ")]
    assert sorted(rows) == sorted(p.code for p in people), "every open question on exactly one page"


async def test_caseload_keeps_a_withdrawn_participant_with_open_items_and_says_who_is_paused(service, relay, db):
    gone, paused, quiet = [await active_participant(service, chat=str(8000 + i)) for i in range(3)]
    await ask(service, gone, "Do I need to fill in the last diary?", "q-gone")
    await relay.process_pending()
    await relay.sweep()  # everyone assigned
    async with db.transaction() as session:
        await session.execute(update(Participant).where(Participant.id == gone.id).values(status="withdrawn"))
        await session.execute(update(Participant).where(Participant.id == quiet.id).values(status="withdrawn"))
        row = await session.get(Participant, paused.id)
        row.paused, row.position = True, {**(row.position or {}), "paused_on": "2026-01-05"}
    await relay.handle_staff(staff_msg("/caseload"))
    shown = (await staff_texts(db))[-1]
    assert f"   {gone.code} · week 1 · withdrawn · 1 waiting" in shown, "withdrawn, but something is still open"
    assert f"   {paused.code} · week 1 · paused since 2026-01-05 · 0 waiting" in shown
    assert quiet.code not in shown, "withdrawn with nothing open: off the caseload"
