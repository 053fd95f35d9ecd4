"""Charts for people: a small picture with each module unlock, and the week-8 look back (week09) with
the participant's own start and now. Real content, real engine, real service on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import conversation_service
from bot.charts.pictures import draw, look_back_chart, unlock_chart
from bot.engine import Inbound
from bot.engine.charts import ChartWords, LookBack
from bot.features import build_engine
from bot.measures.scoring import score
from bot.measures.service import SymptomPolicy
from bot.measures.store import store_score
from bot.storage.models import OutboxMessage
from bot.storage.models import Participant as ParticipantRow
from tests.support.clock import STOCKHOLM, at, at_module_start, started

CONSENT = date(2026, 1, 5)
PNG = b"\x89PNG\r\n\x1a\n"


def words(programme) -> ChartWords:
    return ChartWords.from_messages(lambda key: programme.msg("en", key))


def test_each_module_unlock_comes_with_its_place_in_the_programme(programme) -> None:
    p = started(programme, STOCKHOLM, CONSENT)
    p.state.finished += ["week02", "week03", "week04"]
    p.clock.set(at(CONSENT + timedelta(days=35), 10, 0, STOCKHOLM))
    opened = p.tick()
    [unlock] = [o for o in opened.outbound if o.chart is not None]
    assert "Module 4" in unlock.text
    assert unlock.chart is not None and draw(unlock.chart) == unlock_chart(4, 8, words(programme)), (
        "module 4 of the eight"
    )


def test_the_baseline_has_no_unlock_picture(programme) -> None:
    p = started(programme, STOCKHOLM, CONSENT)
    assert not [o for e in p.effects for o in e.outbound if o.chart is not None]


async def test_the_sweep_writes_the_unlock_picture_and_queues_its_path(db, programme, clock, tmp_path: Path) -> None:
    service = conversation_service(db, build_engine(programme), clock, timezone=STOCKHOLM, language="en",
                                  charts_dir=tmp_path / "charts")  # fmt: skip
    p = started(programme, STOCKHOLM, CONSENT)
    clock.set(p.clock.now())
    await service.handle("test", "chat-1", "1", Inbound(kind="command", text="help"))
    async with db.transaction() as session:
        row = await session.scalar(select(ParticipantRow))
        p.state.finished += ["baseline"]
        p.state.frames.clear()
        row.status, row.start_date, row.position = "active", CONSENT, p.state.position_json()
        row.next_due_at = clock.now()
    clock.set(at(CONSENT + timedelta(days=14), 10, 0, STOCKHOLM))
    assert await service.tick_due() == 1
    async with db.reading() as session:
        payloads = [m.payload for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    [picture] = [m for m in payloads if m.get("image")]
    assert picture["text"].startswith("A new module is open: Module 1")
    assert Path(picture["image"]).read_bytes() == unlock_chart(1, 8, words(programme))


async def test_the_week_8_look_back_shows_their_own_start_and_now(db, programme, clock, tmp_path: Path) -> None:
    service = conversation_service(
        db, build_engine(programme), clock, timezone=STOCKHOLM, language="en", charts_dir=tmp_path / "charts",
        symptoms=SymptomPolicy(threshold=5),
    )  # fmt: skip
    p = at_module_start(programme, "week09", 9)
    clock.set(p.clock.now())
    await service.handle("test", "chat-1", "1", Inbound(kind="command", text="help"))
    phq9 = programme.instruments["phq9"]
    async with db.transaction() as session:
        row = await session.scalar(select(ParticipantRow))
        row.status, row.start_date, row.position = "active", CONSENT, p.state.position_json()
        await store_score(session, row.id, "baseline", "phq9", score(phq9, {i.id: 2 for i in phq9.items}), programme.version,
                          clock.now())  # fmt: skip  # 18 at the start
    for n in range(9):
        await service.handle("test", "chat-1", f"item-{n}", Inbound(kind="text", text="1" if n < 8 else "0"))  # 8 now
    async with db.reading() as session:
        payloads = [m.payload for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    [picture] = [m for m in payloads if m.get("image")]
    assert picture["text"].startswith("Here is where you started, and where you are now.")
    drawn = Path(picture["image"]).read_bytes()
    assert drawn.startswith(PNG)
    expected = look_back_chart([LookBack("PHQ-9 (lower is better)", 18.0, 8.0, 0, 27)], words(programme))
    assert drawn == expected, "the participant's own baseline (18) beside their score now (8)"


async def test_the_week_4_check_has_no_look_back(db, programme, clock, tmp_path: Path) -> None:
    service = conversation_service(db, build_engine(programme), clock, timezone=STOCKHOLM, language="en",
                                  charts_dir=tmp_path / "charts")  # fmt: skip
    p = at_module_start(programme, "week05", 5)
    clock.set(p.clock.now())
    await service.handle("test", "chat-1", "1", Inbound(kind="command", text="help"))
    phq9 = programme.instruments["phq9"]
    async with db.transaction() as session:
        row = await session.scalar(select(ParticipantRow))
        row.status, row.start_date, row.position = "active", CONSENT, p.state.position_json()
        await store_score(session, row.id, "baseline", "phq9", score(phq9, {i.id: 1 for i in phq9.items}), programme.version,
                          clock.now())  # fmt: skip
    for n in range(9):
        await service.handle("test", "chat-1", f"item-{n}", Inbound(kind="text", text="1" if n < 8 else "0"))
    async with db.reading() as session:
        payloads = [m.payload for m in await session.scalars(select(OutboxMessage))]
    assert not [m for m in payloads if m.get("image")]
