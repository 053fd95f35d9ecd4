"""The week post's pain chart as a small picture, over real PTB and the fake Bot API: a week with
diary entries gets a photo in the participant's topic after the week post (its caption the text
chart, kept as the fallback); a week without a diary gets none."""

from __future__ import annotations

from bot.engine.model import AnswerRecord, RelayRecord
from tests.support.relay import insert_item, local, module_1_done, store_answers


async def diary(db, participant_id: int, *days: tuple[int, int, int]) -> None:
    for day, average, worst in days:
        entry = f"pain_diary:2026-01-{day:02d}"
        values = [("average_pain", average), ("worst_pain", worst)]
        await store_answers(
            db, participant_id, local(day, 20), *(AnswerRecord("week02", "pain_diary", f, v, entry) for f, v in values)
        )


async def report(harness, db, participant, module: str, week: int) -> None:
    record = RelayRecord(
        source=f"{module}.weekly_report", text="", kind="report", data={"module": module, "week": week}
    )
    await insert_item(db, participant, record, harness.relay.clock.now())
    await harness.settle()


async def test_a_week_with_diary_entries_gets_its_chart_as_a_photo_and_a_week_without_gets_none(
    tg,
    db,
    clock,
    tmp_path,
):
    tg.relay.charts_dir = tmp_path / "charts"
    p = await tg.participant()
    await module_1_done(db, p.id)
    await diary(db, p.id, (19, 4, 6), (20, 5, 7), (22, 3, 8))
    clock.set(local(25, 19))
    await report(tg, db, p, "week02", 2)
    thread = await tg.thread(p.id)
    posts = [m for m in tg.to_staff() if m["text"].startswith("📋 Week 3")]
    assert posts and "3 of 7 days filled in, average pain 4 of 10, worst 8" in posts[0]["text"], "the text stays"
    photos = tg.to_staff("sendPhoto")
    assert len(photos) == 1 and int(photos[0]["message_thread_id"]) == thread, "in the participant's topic"
    caption = photos[0]["caption"]
    assert caption.startswith("3 of 7 days filled in, average pain 4 of 10, worst 8\naverage ▄▅·▃···")
    upload = next(c for c in tg.api.calls if c.method == "sendPhoto")
    assert next(iter(upload.files.values()))[1].startswith(b"\x89PNG"), "a real PNG picture"
    assert [f.name for f in (tmp_path / "charts").iterdir()] == [f"{p.code}-w3-pain-1.png"]

    clock.set(local(31, 19))  # the next week: no diary at all
    await report(tg, db, p, "week03", 3)
    assert any(m["text"].startswith("📋 Week 4") for m in tg.to_staff()), "the week post itself is sent"
    assert len(tg.to_staff("sendPhoto")) == 1, "no picture for a week without a diary"
