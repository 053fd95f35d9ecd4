"""Tables. SQLAlchemy 2 typed models, the same schema on SQLite and PostgreSQL.

Migrations in ``bot/storage/migrations`` create these; a test checks that the models and the
migrations agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# sender: outbox.priority. Rows written for an inbound event (the reply) are interactive and go out
# ahead of bulk rows (sweeps, ticks, staff copies). The column defaults to bulk; the inbound write
# path sets PRIORITY_INTERACTIVE on the rows it writes. An URGENT safety alert for the staff group is
# PRIORITY_URGENT: it goes ahead of everything, even of older rows waiting for the same chat.
PRIORITY_URGENT = -1
PRIORITY_INTERACTIVE = 0
PRIORITY_BULK = 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    position: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # inbound: set when this participant's tick raised; sweeps skip them until an admin clears it.
    quarantined_at: Mapped[datetime | None] = mapped_column(default=None)


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (Index(None, "participant_id", "module_id", "step_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(40))
    step_id: Mapped[str] = mapped_column(String(40))
    field_id: Mapped[str | None] = mapped_column(String(40))
    entry_id: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    content_version: Mapped[str] = mapped_column(String(32))
    answered_at: Mapped[datetime]
    event_id: Mapped[str | None] = mapped_column(String(80))


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    agreed: Mapped[bool] = mapped_column(Boolean)
    content_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class ProcessedEvent(Base):
    """One row per inbound update: a redelivered update id finds its row and does nothing."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(80))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    processed_at: Mapped[datetime]


class OutboxMessage(Base):
    """A message waiting to be sent (transactional outbox): written with the event that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "status", "not_before"),
        Index(None, "channel", "chat_id", "status", "id"),  # sender: "is this the chat's oldest open row?"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    channel_message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # sender (migration 0004): scheduling, claims and resumable parts; see scheduler/sender.py.
    priority: Mapped[int] = mapped_column(Integer, default=PRIORITY_BULK, server_default=str(PRIORITY_BULK))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refused_at: Mapped[datetime | None]


class RelayItem(Base):
    """A participant's question, report or alert for the therapists.

    The participant write path inserts only the first columns; the relay service moves ``stage``
    from ``new`` to ``posted`` (exactly once), and ``status`` from ``open`` to ``closed`` on a reply.
    """

    __tablename__ = "relay_items"
    __table_args__ = (Index(None, "stage", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(90))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime]
    # relay (migration 0002): server defaults so an insert of the columns above still works
    kind: Mapped[str] = mapped_column(String(12), default="question", server_default="question")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=sql_text("'{}'"))
    stage: Mapped[str] = mapped_column(String(12), default="new", server_default="new")  # new | posted
    posted_at: Mapped[datetime | None]
    assigned_to: Mapped[int | None] = mapped_column(BigInteger)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    nudges: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    repeat_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
