"""Helpers for the relay's tests: a configured relay service, staff messages, and a participant."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlalchemy import select

from bot.clock import FakeClock
from bot.content.programme import Programme
from bot.conversation.service import ConversationService
from bot.engine import Inbound
from bot.relay.content import load_relay_content
from bot.relay.model import RelayConfig, StaffInbound
from bot.relay.service import RelayService
from bot.relay.store import RelayStore
from bot.relay.topics import TopicDirectory
from bot.storage.database import Database
from bot.storage.models import OutboxMessage, Participant

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
