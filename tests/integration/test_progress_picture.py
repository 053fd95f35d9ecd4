"""/progress: a PNG of the participant's own pain diary and practice, written to a file by the service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import conversation_service
from bot.charts.pictures import draw
from bot.engine import Inbound
from bot.engine.model import StoredAnswer
from bot.engine.progress_chart import diary_series
from bot.features import build_engine
from bot.storage.models import OutboxMessage
from bot.storage.models import Participant as Row
from tests.support import Participant, auto_answer
from tests.support.clock import STOCKHOLM, at, started
from tests.support.diary import JAN, fill, press_day

PNG = b"\x89PNG\r\n\x1a\n"


def stored(entry: str | None, value: object, day: date, field: str = "average_pain") -> StoredAnswer:
    return StoredAnswer("baseline", "pain_diary", field, entry, value, datetime.combine(day, datetime.min.time(), UTC))


def test_the_diary_series_has_one_point_a_day_with_gaps_for_missed_days():
    history = [
        stored("pain_diary_first:x", 6, JAN[5]),  # the first entry is on the day it was made
        stored("pain_diary:2026-01-06", 5, JAN[7]),  # a late entry counts for its own day
        stored("pain_diary:2026-01-08", 3, JAN[8]),
        stored("pain_diary:2026-01-08", "a note", JAN[8], field="note"),
    ]
    assert diary_series(history, STOCKHOLM) == [(JAN[5], 6.0), (JAN[6], 5.0), (JAN[7], None), (JAN[8], 3.0)]
    assert diary_series([], STOCKHOLM) == []


def test_progress_sends_a_png_and_keeps_the_participants_place(programme):
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    p.clock.set(at(JAN[6], 20, 0, STOCKHOLM))
    press_day(p, JAN[6])
    auto_answer(p)  # a diary half done: /progress must not lose it
    effects = p.command("progress")
    picture = effects.outbound[0]
    assert picture.chart is not None and draw(picture.chart).startswith(PNG), "values the edge draws"
    assert "pain diary" in picture.text
    assert p.state.frame.day == "2026-01-06", "the half-done entry is still there"
    assert effects.outbound[-1].buttons, "and its question is asked again"
    fill(p)


def test_progress_before_the_programme_started_explains(programme, clock):
    p = Participant(programme, clock)
    effects = p.command("progress")
    assert all(o.chart is None for o in effects.outbound)
    assert "once you have begun" in effects.outbound[0].text


async def test_the_service_writes_the_picture_and_queues_its_path(db, programme, clock, tmp_path: Path):
    charts = tmp_path / "charts"
    service = conversation_service(
        db, build_engine(programme), clock, timezone=STOCKHOLM, language="en", charts_dir=charts
    )
    p = started(programme, STOCKHOLM, date(2026, 1, 5))
    clock.set(p.clock.now())
    await service.handle("test", "chat-1", "1", Inbound(kind="command", text="help"))
    async with db.transaction() as session:
        row = await session.scalar(select(Row))
        assert row is not None
        row.status, row.start_date, row.position = "active", p.state.start_date, p.state.position_json()
        code = row.code
    await service.handle("test", "chat-1", "2", Inbound(kind="command", text="progress"))
    await service.handle("test", "chat-1", "3", Inbound(kind="command", text="progress"))
    async with db.reading() as session:
        images = [m.payload["image"] for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    paths = [Path(i) for i in images if i]
    assert paths == [charts / f"{code}-1.png", charts / f"{code}-2.png"]
    assert all(path.read_bytes().startswith(PNG) for path in paths)
