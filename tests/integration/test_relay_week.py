"""The week in the topic, on real storage and the real content: the weekly report posted as the whole
week in the participant's words, /week and /answers, and /tpl drafts filled from the same week (with
and without homework, practice and diary)."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.model import AnswerRecord
from tests.support.relay import (
    GOAL,
    active_participant,
    local,
    module_1_done,
    report_in,
    staff_msg,
    staff_texts,
    store_answers,
)


async def test_the_weekly_report_is_the_whole_week_in_the_participants_words(service, relay, db, clock):
    p = await active_participant(service)
    await module_1_done(db, p.id)
    clock.set(local(25, 19))
    await report_in(db, relay, p, clock)
    post = (await staff_texts(db))[-1]
    assert post.startswith(f"📋 Week 3 · {p.code} · Module 1: Understanding pain · weekly report in")
    assert f"• What is your goal? Be specific: what, how much, how often.\n   → {GOAL}" in post
    assert "• How sure are you that you can reach this goal?\n   → 7 of 10" in post
    assert "• Which area of life do you choose?\n   → Family" in post, "a choice in the words the participant saw"
    assert "🧘 Calm breathing: 3 of 7 days, 30 min in all; tension before→after: Tue 6→3, Wed 6→3, Fri 6→3" in post
    assert "The weekly report (Sun 25 Jan):" in post and "• What was hardest this week?\n   → Sitting at work" in post
    assert "no pain diary this week" in post
    assert "mood_check.q1" not in post and "(not reported)" not in post, "no internal names, no false blanks"
    assert post.rstrip().endswith("Therapist: Anna.")


async def test_a_long_week_is_sent_whole_never_cut(service, relay, db, clock, sender, transport):
    p = await active_participant(service)
    long_words = " ".join(["I walked to the corner shop and back and it went fine."] * 120)
    await store_answers(
        db, p.id, local(19), AnswerRecord("week02", "compass_heading", "what_matters", long_words, "c1")
    )
    clock.set(local(25, 19))
    await report_in(db, relay, p, clock)
    await sender.drain()
    posted = [t for t in transport.texts("staff") if t.startswith("📋 Week 3")][-1]
    assert len(posted) > 4096 and long_words in posted, "the text is kept whole (the channel splits it)"


async def test_week_and_answers_commands_show_older_weeks_and_any_form(service, relay, db, clock):
    p = await active_participant(service)
    diary = [("average_pain", 4), ("worst_pain", 7), ("activity_today", 5), ("note", "Long drive to my sister")]
    for day, shift in ((6, 0), (7, 1), (9, 2)):
        entry = f"pain_diary:2026-01-{day:02d}"
        values = [(f, v + shift if isinstance(v, int) else v) for f, v in diary]
        await store_answers(
            db, p.id, local(day, 20), *(AnswerRecord("baseline", "pain_diary", f, v, entry) for f, v in values)
        )
    await module_1_done(db, p.id)
    clock.set(local(27, 10))
    await relay.handle_staff(staff_msg(f"/week {p.code} 1"))
    shown = (await staff_texts(db))[-1]
    assert shown.startswith(f"📋 Week 1 · {p.code} · Getting started")
    assert "3 of 7 days filled in, average pain 5 of 10, worst 9" in shown
    assert "average ·▄▅·▅··\nworst   ·▆▇·▇··   (one mark a day from Mon; · = no entry)" in shown
    assert "🗒 Tue 6 Jan: Long drive to my sister" in shown
    await relay.handle_staff(staff_msg(f"/answers {p.code} My goals"))
    shown = (await staff_texts(db))[-1]
    assert shown.startswith(f"📝 {p.code} · My goals · 1 time(s) filled in") and GOAL in shown
    await relay.handle_staff(staff_msg(f"/week {p.code} 9"))
    assert (await staff_texts(db))[-1] == f"{p.code} has no week 9 yet."


async def test_tpl_drafts_name_the_reported_week_and_what_was_really_done(service, relay, db, clock):
    p = await active_participant(service)
    await module_1_done(db, p.id)
    clock.set(local(25, 19))
    await report_in(db, relay, p, clock)
    clock.advance(timedelta(days=2))  # the therapist writes on Tuesday of the next programme week
    await relay.handle_staff(staff_msg(f"/tpl {p.code} steady"))
    draft = (await staff_texts(db))[-1]
    assert "week 3 (Module 1: Understanding pain)" in draft, "the reported week, not today's"
    assert "You did: My goals, My compass heading." in draft
    assert "Practice: Calm breathing on 3 of 7 days." in draft
    assert "Your goals were: " + GOAL in draft
    assert "no diary entries in the last 7 days" not in draft


async def test_tpl_draft_for_a_week_without_homework_practice_or_diary(service, relay, db, clock):
    p = await active_participant(service)
    report = [("breathing", "no"), ("goals", "no"), ("compass_heading", "no")]
    await store_answers(db, p.id, local(25), *(AnswerRecord("week02", "weekly_report", f, v, "r1") for f, v in report))
    clock.set(local(25, 19))
    await report_in(db, relay, p, clock)
    await relay.handle_staff(staff_msg(f"/tpl {p.code} steady"))
    draft = (await staff_texts(db))[-1]
    assert "week 3 (Module 1: Understanding pain)" in draft
    assert "You did: no homework forms filled in." in draft
    assert "Practice: no practice logged." in draft
    assert "Pain diary: no pain diary this week." in draft
