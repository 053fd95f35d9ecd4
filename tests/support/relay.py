"""Helpers for the relay's tests: a configured relay service, staff messages, a participant, and what the
participant's write path stores for the relay (items, answers, a finished module 1)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.clock import FakeClock
from bot.content.programme import Programme
from bot.conversation.service import ConversationService
from bot.engine import Inbound
from bot.engine.model import AnswerRecord, Effects, RelayRecord
from bot.relay.content import load_relay_content
from bot.relay.model import RelayConfig, StaffInbound
from bot.relay.service import RelayService
from bot.relay.store import RelayStore
from bot.relay.topics import TopicDirectory
from bot.storage.database import Database
from bot.storage.models import OutboxMessage, Participant
from bot.storage.rows import EffectRows

CONTENT = Path(__file__).resolve().parents[2] / "content"
ANNA, BEN, CLEO, STRANGER = 11, 22, 33, 99


def relay_config(staff_channel: str = "test", staff_chat_id: str = "staff", **overrides: object) -> RelayConfig:
    values: dict[str, object] = dict(
        staff_channel=staff_channel, staff_chat_id=staff_chat_id, therapist_ids=(ANNA, BEN, CLEO),
        therapist_names={ANNA: "Anna", BEN: "Ben", CLEO: "Cleo"}, signature="— Your therapist {name}",
        timezone="Europe/Stockholm",
    )  # fmt: skip
    values.update(overrides)
    return RelayConfig(**values)  # type: ignore[arg-type]


def relay_service(db: Database, clock: FakeClock, programme: Programme, config: RelayConfig, wake=None) -> RelayService:
    return RelayService(db, clock, config, load_relay_content(CONTENT), programme,
                        wake_sender=wake or (lambda: None))  # fmt: skip


class FakeTopics:
    """``createForumTopic`` stand-in for service tests: numbered threads, counted."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._ids = itertools.count(500)

    async def create(self, name: str) -> int:
        self.names.append(name)
        return next(self._ids)


def directory(db: Database, clock: FakeClock, topics: FakeTopics, chat: str = "staff") -> TopicDirectory:
    return TopicDirectory(db, clock, chat, topics.create)


_events = itertools.count(1)


def staff_msg(
    text: str, user: int = ANNA, thread: int | None = None, chat: str = "staff", **extra: object
) -> StaffInbound:
    return StaffInbound(event_id=f"s{next(_events)}", chat_id=chat, chat_kind=extra.pop("kind", "supergroup"),  # type: ignore[arg-type]
                        user_id=user, message_id=next(_events), text=text, thread_id=thread, **extra)  # type: ignore[arg-type]  # fmt: skip


async def active_participant(service: ConversationService, chat: str = "4242", channel: str = "test") -> Participant:
    """A participant past consent (status active), created through the real service."""
    events = itertools.count(1)

    async def send(inbound: Inbound) -> None:
        await service.handle(channel, chat, f"{chat}-{next(events)}", inbound)

    await send(Inbound(kind="command", text="start"))
    for _ in range(30):
        async with service.db.reading() as session:
            row = await session.scalar(select(Participant).where(Participant.chat_id == chat))
        if row is not None and row.status == "active":
            return row
        async with service.db.reading() as session:
            last = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.chat_id == chat).order_by(OutboxMessage.id.desc())
            )
        buttons = [b for r in last.payload["buttons"] for b in r] if last else []
        agree = [b for b in buttons if b["label"] == "I agree to take part"]
        chosen = agree[0] if agree else buttons[0]
        await send(Inbound(kind="choice", text=chosen["data"]))
    raise AssertionError("participant did not get through consent")


async def latest_post(db: Database, participant_id: int) -> int | None:
    """The staff group's id of the participant's latest post: what a therapist's reply answers."""
    async with db.reading() as session:
        return await RelayStore(session, relay_config(), lock_rows=False).latest_post_id(participant_id)


async def ask(service, participant: Participant, text: str, event: str) -> None:
    await service.handle("test", participant.chat_id, event, Inbound(kind="command", text="ask", args=text))


async def insert_item(db, participant: Participant, record: RelayRecord, now) -> None:
    """What the participant write path does for an effect the engine will emit (report, safety, alert)."""

    def write(conn) -> None:
        rows = EffectRows(version="t")
        rows.relay(participant.id, record, now)
        rows.flush(conn)

    await db.run_write(write)


async def staff_texts(db) -> list[str]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == "staff").order_by(OutboxMessage.id)
        )
        return [r.payload["text"] for r in rows if not r.payload.get("overview")]  # (the pinned overview apart)


async def move_on(service, transport, chat: str, event: str, answers: int = 1) -> None:
    """The participant works on: taps "Continue ›" (or the first button), or types a short answer."""
    for n in range(answers):
        last = transport.sent[chat][-1]
        buttons = [b for row in last["buttons"] for b in row]
        chosen = next((b for b in buttons if b["label"] == "Continue ›"), buttons[0] if buttons else None)
        inbound = Inbound(kind="choice", text=chosen["data"]) if chosen else Inbound(kind="text", text="5")
        await service.handle("test", chat, f"{event}-{n}", inbound)


GOAL = "Walk to the park and back, 20 minutes, three times a week"


async def store_answers(db, participant_id: int, at: datetime, *answers: AnswerRecord) -> None:
    """What the participant's event writes for these answers (the real write path)."""

    def write(conn) -> None:
        rows = EffectRows(version="t")
        rows.add_records(participant_id, Effects(answers=list(answers)), at, None)
        rows.flush(conn)

    await db.run_write(write)


def local(day: int, hour: int = 18) -> datetime:
    """January 2026, Stockholm evening (UTC+1)."""
    return datetime(2026, 1, day, hour - 1, 0, tzinfo=UTC)


async def module_1_done(db, pid: int, practice_days: tuple[int, ...] = (20, 21, 23)) -> None:
    """Module 1 (programme week 2, from Mon 19 Jan): goals, compass heading, calm breathing, report."""
    goal = [("goal", GOAL), ("measure", "I reach the park bench"), ("first_step", "Ten minutes on Sunday"),
            ("risk_situations", "Rain"), ("plan_for_risk", "Walk in the mall instead"), ("confidence", 7)]  # fmt: skip
    await store_answers(db, pid, local(19), *(AnswerRecord("week02", "goals", f, v, "g1") for f, v in goal))
    compass = [("life_area", "family"), ("what_matters", "Being a patient dad"), ("small_step", "Play cards")]
    await store_answers(
        db, pid, local(19), *(AnswerRecord("week02", "compass_heading", f, v, "c1") for f, v in compass)
    )
    for day in practice_days:
        entry = f"breathing_practice:2026-01-{day:02d}"
        log = [("done", True), ("minutes", 10), ("tension_before", 6), ("tension_after", 3)]
        await store_answers(
            db, pid, local(day), *(AnswerRecord("week02", "breathing_practice", f, v, entry) for f, v in log)
        )
    report = [("breathing", "yes"), ("goals", "yes"), ("compass_heading", "partly"), ("hardest", "Sitting at work")]
    await store_answers(db, pid, local(25), *(AnswerRecord("week02", "weekly_report", f, v, "r1") for f, v in report))


async def report_in(db, relay, p, clock) -> None:
    record = RelayRecord(source="week02.weekly_report", text="", kind="report", data={"module": "week02", "week": 2})
    await insert_item(db, p, record, clock.now())
    await relay.process_pending()
