"""Transcripts of whole programmes through the service and real storage, on the simulated clock:
a diligent participant through weeks 0-11, and one who skips a week and catches up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.schema import ExerciseStep, FormStep
from bot.engine import Inbound
from bot.engine.calendar import module_opens_at
from bot.storage.models import Answer, Participant
from tests.conftest import database_fixture

# Whole programmes walked for weeks of fake time: on SQLite (the storage tests cover PostgreSQL), so CI
# stays within its 15 minutes.
db = database_fixture(["sqlite"])

CHAT = "8080"


class Walk:
    """A participant on the other end of the service, keeping a readable transcript."""

    def __init__(self, service, sender, transport, clock) -> None:
        self.service, self.sender, self.transport, self.clock = service, sender, transport, clock
        self.update_id = 0
        self.seen = 0
        self.transcript: list[str] = []
        self.opened: dict[str, object] = {}

    def _collect(self) -> None:
        for payload in self.transport.sent[CHAT][self.seen :]:
            self.transcript.append(f"[{self.clock.now():%Y-%m-%d %H:%M}] bot: {payload['text']}")
            if payload["text"].startswith(("A new module is open: ", "Next up is ")):
                self.opened[payload["text"]] = self.clock.now()
        self.seen = len(self.transport.sent[CHAT])

    async def send(self, inbound: Inbound, shown: str) -> None:
        self.update_id += 1
        self.transcript.append(f"[{self.clock.now():%Y-%m-%d %H:%M}] you: {shown}")
        await self.service.handle("test", CHAT, str(self.update_id), inbound)
        await self.sender.drain()
        self._collect()

    def last(self) -> dict:
        return self.transport.sent[CHAT][-1]

    async def answer_once(self) -> None:
        payload = self.last()
        buttons = [b for row in payload["buttons"] for b in row]
        labels = [b["label"] for b in buttons]
        if "Continue ›" in labels:
            chosen = buttons[labels.index("Continue ›")]
        elif "I agree to take part" in labels:
            chosen = buttons[labels.index("I agree to take part")]
        elif labels and labels != ["Skip"]:
            chosen = buttons[min(3, len(buttons) - 1)] if labels[0] == "0" else buttons[0]
        else:
            numeric = ("minute", "number", "0 (", "from 0", "100")
            text = "10" if any(k in payload["text"] for k in numeric) else "Walk for ten minutes"
            await self.send(Inbound(kind="text", text=text), text)
            return
        await self.send(Inbound(kind="choice", text=chosen["data"]), f"[{chosen['label']}]")

    async def state(self) -> Participant:
        async with self.service.db.reading() as session:
            return (await session.scalars(select(Participant).where(Participant.chat_id == CHAT))).one()

    async def busy(self) -> bool:
        """True while something waits for the participant: a step, or an unanswered offer."""
        row = await self.state()
        last = self.last() if self.transport.sent[CHAT] else None
        offer = last is not None and any(b["label"] == "Fill it in now" for r in last["buttons"] for b in r)
        return bool(row.position.get("frames")) or offer

    async def answer_until_idle(self, limit: int = 600) -> None:
        for _ in range(limit):
            if not await self.busy():
                return
            await self.answer_once()
        raise AssertionError("the participant never became idle:\n" + "\n".join(self.transcript[-30:]))

    async def live(self, days: float, respond: bool = True) -> None:
        """Let time pass hour by hour, answering whatever arrives (unless ``respond`` is False)."""
        end = self.clock.now() + timedelta(days=days)
        while self.clock.now() < end:
            self.clock.advance(timedelta(hours=1))
            await self.service.tick_due()
            await self.sender.drain()
            self._collect()
            if respond:
                await self.answer_until_idle()


@pytest.fixture
def walk(service, sender, transport, clock) -> Walk:
    return Walk(service, sender, transport, clock)


async def stored(db) -> list[Answer]:
    async with db.reading() as session:
        return list(await session.scalars(select(Answer).order_by(Answer.id)))


async def test_one_participant_through_weeks_0_to_11(walk, db, programme, clock, tmp_path: Path):
    await walk.send(Inbound(kind="command", text="start"), "/start")
    await walk.answer_until_idle()
    row = await walk.state()
    assert row.status == "active" and row.start_date is not None
    await walk.live(days=7 * 12 + 1)
    (tmp_path / "transcript.txt").write_text("\n".join(walk.transcript))

    row = await walk.state()
    assert row.status == "completed", "\n".join(walk.transcript[-20:])
    assert walk.transcript[-1].endswith(
        "That was the last part of the programme. Thank you so much for your time and effort. You can still write to your therapist with /ask."
    )
    # every weekly module opened on its own day and hour, in order
    for module in programme.scheduled:
        title = programme.text(module.title, "en")
        when = next(t for text, t in walk.opened.items() if title in text)
        expected = module_opens_at(row.start_date, module, programme.spec.release_hour, "Europe/Stockholm")
        assert when == expected or (module.week == 0 and when >= expected), title  # week 0 opens at consent
    answers = await stored(db)
    assert {a.content_version for a in answers} == {programme.version}
    have = {(a.module_id, a.step_id, a.field_id) for a in answers}
    for module in programme.scheduled:
        for step in module.steps:
            if isinstance(step, FormStep):
                for fld in step.fields:
                    assert (module.id, step.id, fld.id) in have, f"{module.id}.{step.id}.{fld.id} not stored"
            if isinstance(step, ExerciseStep):
                for fld in step.log:
                    assert (module.id, step.id, fld.id) in have, f"{module.id}.{step.id}.{fld.id} not stored"
    # forms are stored field by field, grouped into entries
    goals = [a for a in answers if a.step_id == "goals"]
    assert len({a.entry_id for a in goals}) == 1 and len(goals) == len(programme.step("week02", "goals").fields)
    # the daily pain diary ran in both the baseline and the post weeks, once a day
    diary = {(a.module_id, a.entry_id) for a in answers if a.step_id == "pain_diary"}
    assert len([d for d in diary if d[0] == "baseline"]) == 13
    assert len([d for d in diary if d[0] == "post"]) == 13
    # licensed wording is not shipped: those questionnaires are skipped (and audited), never shown empty
    licensed = {i.id for i in programme.instruments.values() if i.licence == "licensed"}
    assert licensed >= {"csq_catastrophizing", "mpi_s", "pairs", "hads", "qoli"}
    assert not [a for a in answers if a.step_id in licensed]
    assert {a.step_id for a in answers} >= {"phq9", "gad7", "pain_rating"}


async def test_a_participant_who_skips_a_week_catches_up(walk, db, programme, clock):
    await walk.send(Inbound(kind="command", text="start"), "/start")
    await walk.answer_until_idle()
    await walk.live(days=21)  # baseline + week 2 done; week 3 opens on day 21 09:00 (not yet reached)
    await walk.live(days=14, respond=False)  # away: week 3 opens unanswered, then week 4 opens too
    texts = [line.split("bot: ", 1)[1] for line in walk.transcript if "bot: " in line]
    assert "A new module is open: Module 2: Moving your body." in texts
    assert any(t.startswith("Module 3: Pacing and thoughts is open now. There's no rush") for t in texts)
    assert not any(t.startswith("A new module is open: Module 3") for t in texts)
    before = len(walk.transcript)
    await walk.answer_until_idle()  # back: finish module 2, and module 3 follows straight after
    later = [line.split("bot: ", 1)[1] for line in walk.transcript[before:] if "bot: " in line]
    assert "You have finished Module 2: Moving your body. Well done." in later
    catch_up = [t for t in later if t.startswith("Next up is Module 3: Pacing and thoughts.")]
    assert len(catch_up) == 1
    assert later.index(catch_up[0]) > later.index("You have finished Module 2: Moving your body. Well done.")
    answers = await stored(db)
    week3 = [a.answered_at for a in answers if a.module_id == "week03"]
    week4 = [a.answered_at for a in answers if a.module_id == "week04"]
    assert week3 and week4 and max(week3) <= min(week4)
    assert (await walk.state()).status == "active"
