"""A participant's data under their control: export (subject access), erasure, and timed purges.

One call = one transaction, audited with who asked. ``erase`` removes every row that holds the
participant's words or chat id — answers, consents, relay items, outbox rows, processed events,
applications, interview notes — blanks the details of their audit rows, keeps only what the content's
retention rule names (``retention.after_erasure: allocation`` keeps the code, the arm and the dates;
``nothing`` keeps the code alone), and then rewrites the database file so no bytes of the text remain
(SQLite: ``secure_delete`` + ``VACUUM`` + WAL truncation; PostgreSQL: ``VACUUM`` of those tables).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, Text, cast, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.programme import Programme
from bot.errors import TrialStateError
from bot.storage.database import Database, dumps
from bot.storage.models import (
    Answer,
    AuditEntry,
    Base,
    Consent,
    OutboxMessage,
    Participant,
    ProcessedEvent,
    RelayItem,
)
from bot.storage.outbox import outbox_message
from bot.storage.repository import Repository
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_relay import RelayAssignment, RelayLog, RelayMessage, RelayTask, RelayTopic
from bot.storage.tables_trial import (
    TrialAllocation,
    TrialApplication,
    TrialInterview,
    TrialRequestRow,
    TrialWithdrawal,
)

log = logging.getLogger(__name__)

ERASED_TABLES = (
    "answers", "consents", "relay_items", "outbox", "processed_events", "audit_log", "trial_applications",
    "trial_interviews", "trial_allocations", "trial_withdrawals", "trial_requests", "participants",
    "relay_messages", "relay_log", "relay_tasks", "relay_topics", "relay_assignments", "scores",
)  # fmt: skip
PURGED = {"purged": True}
PURGED_TEXT = dumps(PURGED)  # how the JSON columns store it on SQLite and PostgreSQL


@dataclass(frozen=True)
class Erasure:
    code: str
    removed: dict[str, int]
    kept: str  # "allocation" | "nothing"


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(rows: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{f: _json(getattr(r, f)) for f in fields} for r in rows]


class ParticipantData:
    def __init__(
        self,
        db: Database,
        programme: Programme,
        clock: Clock,
        *,
        retention_days: int,
        outbox_purge_days: int,
        charts_dir: Path | None = None,  # where the participant's chart pictures are written (var/charts)
        staff_chat: tuple[str, str] | None = None,  # (channel, chat id) of the staff group, whose topic goes too
    ) -> None:
        self.db, self.programme, self.clock = db, programme, clock
        self.retention_days, self.outbox_purge_days = retention_days, outbox_purge_days
        self.charts_dir, self.staff_chat = charts_dir, staff_chat

    async def _participant(self, session: AsyncSession, code: str) -> Participant:
        row = await session.scalar(select(Participant).where(Participant.code == code))
        if row is None:
            raise TrialStateError(f"no participant {code}")
        return row

    # -- export ------------------------------------------------------------------------------------
    async def export(self, code: str, by: str) -> dict[str, Any]:
        """Everything stored about the participant, as JSON-ready values (audited as ``export``)."""
        async with self.db.transaction() as session:
            return await self.export_in(session, code, by)

    async def export_in(self, session: AsyncSession, code: str, by: str) -> dict[str, Any]:
        """``export`` inside the caller's transaction (``/mydata``'s durable request)."""
        now = self.clock.now()
        row = await self._participant(session, code)
        pid = row.id

        async def rows_of(model: Any, order: Any) -> Any:
            return (await session.scalars(select(model).where(model.participant_id == pid).order_by(order))).all()

        own_messages = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == row.channel, OutboxMessage.chat_id == row.chat_id)
                .order_by(OutboxMessage.id)
            )
        ).all()
        data: dict[str, Any] = {
            "code": row.code,
            "exported_at": now.isoformat(),
            "status": row.status,
            "language": row.language,
            "timezone": row.timezone,
            "joined_at": row.created_at.isoformat(),
            "applications": _rows(await rows_of(TrialApplication, TrialApplication.id),
                                  ("applied_on", "answers", "eligible", "result", "contact", "status")),
            "interviews": _rows(await rows_of(TrialInterview, TrialInterview.id), ("at", "outcome", "reason")),
            "consents": _rows(await rows_of(Consent, Consent.id), ("at", "version", "agreed")),
            "allocation": (_rows(await rows_of(TrialAllocation, TrialAllocation.id), ("arm", "allocated_on"))
                           or [None])[0],
            "withdrawal": (_rows(await rows_of(TrialWithdrawal, TrialWithdrawal.id), ("at", "may_use_data"))
                           or [None])[0],
            "answers": _rows(await rows_of(Answer, Answer.id),
                             ("answered_at", "module_id", "step_id", "field_id", "entry_id", "value")),
            "messages_to_staff": _rows(await rows_of(RelayItem, RelayItem.id), ("created_at", "source", "text")),
            "messages_from_bot": [
                {"at": m.created_at.isoformat(), "status": m.status, "text": m.payload.get("text")}
                for m in own_messages
            ],
        }  # fmt: skip
        Repository(session, False).audit(pid, by, "export", {}, now)
        log.info("export of %s by %s", code, by)
        return data

    # -- erasure -----------------------------------------------------------------------------------
    async def erase(self, code: str, by: str) -> Erasure:
        """Remove the participant's words and chat id everywhere, then rewrite the storage."""
        now = self.clock.now()
        keep = self.programme.trial.retention.after_erasure if self.programme.trial else "nothing"
        removed: dict[str, int] = {}
        async with self.db.transaction() as session:
            if self.db.is_sqlite:
                await session.execute(text("PRAGMA secure_delete=ON"))
            row = await self._participant(session, code)
            pid, channel, chat = row.id, row.channel, row.chat_id
            models: list[Any] = [Answer, Consent, RelayItem, ProcessedEvent, TrialApplication, TrialInterview,
                                 TrialRequestRow]  # fmt: skip
            if keep == "nothing":
                models += [TrialAllocation, TrialWithdrawal]
            for model in models:
                result = await session.execute(delete(model).where(model.participant_id == pid))
                removed[model.__tablename__] = result.rowcount or 0
            relayed = select(RelayMessage.outbox_id).where(RelayMessage.participant_id == pid)
            result = await session.execute(
                delete(OutboxMessage).where(
                    or_(OutboxMessage.participant_id == pid,
                        (OutboxMessage.channel == channel) & (OutboxMessage.chat_id == chat),
                        OutboxMessage.id.in_(relayed))  # the copies the relay posted to the staff group
                )
            )  # fmt: skip
            removed["outbox"] = result.rowcount or 0
            topics = (await session.execute(select(RelayTopic.chat_id, RelayTopic.thread_id)
                                            .where(RelayTopic.participant_id == pid))).all()  # fmt: skip
            for model in (RelayMessage, RelayLog, RelayTask, RelayTopic, RelayAssignment, ScoreRow):
                result = await session.execute(delete(model).where(model.participant_id == pid))
                removed[model.__tablename__] = result.rowcount or 0
            for table in _other_tables_of_a_participant(models):  # tables added since (one rule for all)
                result = await session.execute(delete(table).where(table.c.participant_id == pid))
                removed[table.name] = result.rowcount or 0
            result = await session.execute(update(AuditEntry).where(AuditEntry.participant_id == pid).values(detail={}))
            removed["audit_log details"] = result.rowcount or 0
            removed["staff topics"] = self._delete_topics(session, topics, now)
            row.chat_id, row.status, row.position = f"erased-{pid}", "erased", {}
            row.next_due_at, row.paused, row.updated_at = None, True, now
            row.timezone, row.unreachable = "UTC", False
            Repository(session, False).audit(pid, by, "erased", {"kept": keep}, now)  # the tombstone: code, date, who
        removed["chart files"] = self._delete_charts(code)
        await self.db.vacuum(ERASED_TABLES)
        log.info("erased %s by %s (kept: %s)", code, by, keep)
        return Erasure(code, removed, keep)

    def _delete_topics(self, session: AsyncSession, topics: Sequence[Any], now: datetime) -> int:
        """The participant's forum topic in the staff group, with every copy in it, deleted through the Bot
        API (``deleteForumTopic``, sent by the outbox like any staff message)."""
        count = 0
        for chat_id, thread_id in topics:
            if thread_id is None or self.staff_chat is None:
                continue
            payload = {"text": "", "buttons": [], "image": None, "delete_topic": thread_id}
            session.add(outbox_message(None, (self.staff_chat[0], chat_id), payload, now))
            count += 1
        return count

    def _delete_charts(self, code: str) -> int:
        """The participant's chart pictures (``<code>-<n>.png``) in the charts folder."""
        if self.charts_dir is None or not self.charts_dir.is_dir():
            return 0
        files = list(self.charts_dir.glob(f"{code}-*.png"))
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)

    # -- timed purges (the sweep calls this) ---------------------------------------------------------
    async def purge(self) -> tuple[int, int]:
        """Blank the payloads of messages sent (or cancelled) more than ``outbox_purge_days`` ago, and the
        answers of applicants not taken in after ``retention_days``; returns (messages, applications)."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            messages = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status.in_(("sent", "cancelled", "failed")),
                       OutboxMessage.created_at < now - timedelta(days=self.outbox_purge_days),
                       cast(OutboxMessage.payload, Text) != PURGED_TEXT)
                .values(payload=PURGED)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            applications = await session.execute(
                update(TrialApplication)
                .where(TrialApplication.status.in_(("not_eligible", "excluded")),
                       TrialApplication.updated_at < now - timedelta(days=self.retention_days),
                       TrialApplication.contact.is_not(None) | (cast(TrialApplication.answers, Text) != "{}"))
                .values(answers={}, contact=None, updated_at=now)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
        counts = (messages.rowcount or 0, applications.rowcount or 0)
        if any(counts):
            log.info("purged %d message payloads and %d applications", *counts)
        return counts


def _other_tables_of_a_participant(done: Sequence[Any]) -> list[Table]:
    """Every other table with a ``participant_id`` column (answers' kin added by later features), except
    the ones erasure keeps or handles itself."""
    handled = {m.__tablename__ for m in done} | {
        "participants", "audit_log", "outbox", "trial_allocations", "trial_withdrawals", "relay_messages",
        "relay_log", "relay_tasks", "relay_topics", "relay_assignments", "scores",
    }  # fmt: skip
    return [t for t in Base.metadata.sorted_tables if "participant_id" in t.c and t.name not in handled]


def as_document(data: dict[str, Any]) -> tuple[str, bytes]:
    """The export as a file for ``/mydata`` or the CLI: ``<code>-data.json``, UTF-8, readable."""
    return f"{data['code']}-data.json", (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
