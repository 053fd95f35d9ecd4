"""The relay's own tables: forum topics, therapist assignments, the staff-message map, tasks and log.

The participant write path only inserts ``relay_items``; everything the therapist side needs besides
the columns it added there lives here, so the relay can grow without touching the hot tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class RelayTopic(Base):
    """A participant's forum topic in the staff group (``thread_id`` NULL when ready: a group without topics).

    The row is written as an intent (``state = "creating"``) and committed before ``createForumTopic``
    is called; the thread id is stored after (``state = "ready"``), so a crash in between leaves a
    trace that ``bot.relay.topics`` reconciles instead of silently creating a second topic.
    """

    __tablename__ = "relay_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), unique=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="ready", server_default="ready")  # creating | ready
    attempted_at: Mapped[datetime | None]  # when the last createForumTopic call began


class RelayAssignment(Base):
    """Which therapist a participant has (one each)."""

    __tablename__ = "relay_assignments"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    therapist_id: Mapped[int] = mapped_column(BigInteger, index=True)
    assigned_at: Mapped[datetime]
    assigned_by: Mapped[str] = mapped_column(String(40))


class RelayMessage(Base):
    """Pairs an outbox row the relay wrote with its participant (reply-to routing, failure reports)."""

    __tablename__ = "relay_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("relay_items.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(12))  # staff | participant
    reported: Mapped[bool] = mapped_column(Boolean, default=False)


class RelayTask(Base):
    """Work for a therapist that is not an answer: the week-2 phone call."""

    __tablename__ = "relay_tasks"
    __table_args__ = (UniqueConstraint("participant_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    therapist_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | done
    checklist: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class RelayLog(Base):
    """What therapists did and how long it took: notes, minutes, response times, acks, call notes."""

    __tablename__ = "relay_log"
    __table_args__ = (Index(None, "participant_id", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    therapist_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # note | time | response | call | ack | alert | sent | kept
    week: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("relay_items.id", ondelete="SET NULL"))
    text: Mapped[str | None] = mapped_column(Text)
    # the staff message this row is about (migration 0009): a reply sent ("sent"), a message kept ("kept")
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class StaffConfirmation(Base):
    """A destructive staff command asked back ("Exclude P-0007?"): the button carries ``nonce``, which
    works once, for the therapist who gave the command, for a short while (``bot.relay.confirm``)."""

    __tablename__ = "staff_confirmations"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    command: Mapped[str] = mapped_column(String(32))
    args: Mapped[str] = mapped_column(Text)
    therapist_id: Mapped[int] = mapped_column(BigInteger)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RelayOverview(Base):
    """The pinned queue overview in the staff group's general thread, edited in place (one per chat).

    ``outbox_id`` is the latest post or edit written for it: once sent, its ``channel_message_id`` is
    the overview's message (a new one when the old was deleted). ``fingerprint`` is what the queue held
    then, so an unchanged queue is not edited again."""

    __tablename__ = "relay_overview"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
