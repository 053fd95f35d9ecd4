"""The sender's reads and writes on the outbox: claims with a lease, progress, and recovery.

A row's life: ``pending`` → claimed (``sending``, with ``claimed_by``/``claimed_at``) → ``sent``; or back
to ``pending`` with a later ``not_before`` (retry), or ``failed`` (given up); a row left ``sending`` by a
sender that died goes back to ``pending`` (``recover``). Only the oldest open row of a chat is ever
claimed, so a chat's messages go out in order and never two at once, across any number of senders.
On PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED``: two senders never claim the same row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.storage.audit import audit
from bot.storage.database import Database
from bot.storage.models import PRIORITY_URGENT, OutboxMessage, Participant
from bot.storage.outbox import outbox_message

log = logging.getLogger(__name__)
OPEN = ("pending", "sending")


@dataclass(frozen=True)
class Claimed:
    """One claimed outbox row, as the sender needs it (a plain value; no session attached)."""

    id: int
    participant_id: int | None
    channel: str
    chat_id: str
    payload: dict[str, Any]
    priority: int
    dedup_key: str | None
    attempts: int
    parts_sent: int


@dataclass(frozen=True)
class Recovery:
    """What start-up recovery did with rows left in flight by a sender that died."""

    resent: list[int]  # rows left in flight (at most one per chat): sent again, at least once


class OutboxStore:
    def __init__(self, db: Database, clock: Clock, owner: str, lease: timedelta) -> None:
        self.db, self.clock, self.owner, self.lease = db, clock, owner, lease
        self._marks: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def claim(self, limit: int) -> list[Claimed]:
        """Claim up to ``limit`` due rows, each the oldest open row of its chat, urgent ones first."""
        if limit <= 0:
            return []
        now = self.clock.now()
        o, earlier = OutboxMessage, aliased(OutboxMessage)
        # A chat's rows go one at a time, in order, except that an URGENT row overtakes the chat's
        # waiting rows (never one already being sent), and holds them back until it is out.
        older_open = (
            select(earlier.id)
            .where(
                earlier.channel == o.channel,
                earlier.chat_id == o.chat_id,
                earlier.id != o.id,
                or_(
                    earlier.status == "sending",
                    and_(earlier.status == "pending", earlier.priority == PRIORITY_URGENT, o.priority != PRIORITY_URGENT),
                    and_(earlier.status == "pending", earlier.id < o.id,
                         or_(o.priority != PRIORITY_URGENT, earlier.priority == PRIORITY_URGENT)),
                ),
            )
            .exists()
        )  # fmt: skip
        query = (
            select(o.id)
            .where(o.status == "pending", o.not_before <= now, ~older_open)
            .order_by(o.priority, o.id)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=o)
        async with self.db.transaction() as session:
            ids = list(await session.scalars(query))
            if not ids:
                return []
            await session.execute(
                update(o).where(o.id.in_(ids)).values(status="sending", claimed_by=self.owner, claimed_at=now)
            )
            rows = await session.scalars(select(o).where(o.id.in_(ids)).order_by(o.priority, o.id))
            return [
                Claimed(
                    r.id,
                    r.participant_id,
                    r.channel,
                    r.chat_id,
                    r.payload,
                    r.priority,
                    r.dedup_key,
                    r.attempts,
                    r.parts_sent,
                )
                for r in rows
            ]

    def _mine(self, row_id: int) -> Any:
        o = OutboxMessage
        return and_(o.id == row_id, o.status == "sending", o.claimed_by == self.owner)

    async def part_sent(self, row_id: int, parts_sent: int) -> bool:
        """Record that the first ``parts_sent`` parts were accepted (a resend starts after them)."""
        async with self.db.transaction() as session:
            result = await session.execute(
                update(OutboxMessage).where(self._mine(row_id)).values(parts_sent=parts_sent)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def sent(self, row_id: int, parts: int, message_id: str, then: dict[str, Any] | None = None) -> None:
        """Mark sent. Marks that arrive together are written in one transaction (group commit): one
        commit per message would cap the sender at the database's commit rate, far below Telegram's.
        ``then`` (a payload's follow-up for a participant) is queued in that same transaction, so it
        exists exactly when the row it follows is recorded as delivered."""
        mark = {"row_id": row_id, "parts": parts, "message_id": message_id, "at": self.clock.now(), "then": then}
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks.append((mark, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_marks())
        await done

    async def _flush_marks(self) -> None:
        t = OutboxMessage.__table__
        statement = (
            update(t)
            .where(t.c.id == bindparam("row_id"), t.c.status == "sending", t.c.claimed_by == self.owner)
            .values(status="sent", sent_at=bindparam("at"), channel_message_id=bindparam("message_id"),
                    parts_sent=bindparam("parts"))
        )  # fmt: skip
        while self._marks:
            batch, self._marks = self._marks, []
            try:
                async with self.db.transaction() as session:
                    plain = [_bound(mark) for mark, _ in batch if not mark["then"]]
                    result = await session.execute(statement, plain) if plain else None
                    for mark, _ in batch:
                        if mark["then"] and (await session.execute(statement, _bound(mark))).rowcount:  # type: ignore[attr-defined]
                            self._follow_up(session, mark)
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            if result is not None and 0 <= result.rowcount < len(plain):  # type: ignore[attr-defined]
                log.warning("%d sent messages had lost their claim (a lease expired; another sender took over)",
                            len(plain) - result.rowcount)  # type: ignore[attr-defined]  # fmt: skip
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    def _follow_up(self, session: Any, mark: dict[str, Any]) -> None:
        then, now = mark["then"], mark["at"]
        payload = {"text": then["text"], "buttons": [], "image": None}
        session.add(outbox_message(then["participant_id"], (then["channel"], then["chat_id"]), payload, now,
                                   dedup_key=f"delivered:{mark['row_id']}"))  # fmt: skip

    async def retry(self, row_id: int, *, parts_sent: int, delay: timedelta, error: str, refused: bool) -> None:
        """Give the row back to the queue, due after ``delay``; a refusal stamps ``refused_at`` once."""
        now, o = self.clock.now(), OutboxMessage
        values: dict[str, Any] = {
            "status": "pending", "attempts": o.attempts + 1, "not_before": now + delay, "last_error": error[:500],
            "parts_sent": parts_sent, "claimed_by": None, "claimed_at": None,
        }  # fmt: skip
        if refused:
            values["refused_at"] = func.coalesce(o.refused_at, now)
        async with self.db.transaction() as session:
            await session.execute(update(o).where(self._mine(row_id)).values(**values))

    async def fail(self, row_id: int, *, parts_sent: int, error: str) -> None:
        o = OutboxMessage
        async with self.db.transaction() as session:
            await session.execute(
                update(o)
                .where(self._mine(row_id))
                .values(status="failed", attempts=o.attempts + 1, last_error=error[:500], parts_sent=parts_sent)
            )

    async def is_participant_chat(self, row: Claimed) -> bool:
        """True when the row goes to its participant's own chat (not the staff group or elsewhere)."""
        if row.participant_id is None:
            return False
        async with self.db.reading() as session:
            found = await session.get(Participant, row.participant_id)
            return found is not None and (found.channel, found.chat_id) == (row.channel, row.chat_id)

    async def participant_gone(self, row: Claimed, error: str) -> bool:
        """The participant's chat refused us: fail this row and the chat's other open rows, mark the
        participant unreachable. True when the participant was reachable until now (alert once)."""
        now, o, p = self.clock.now(), OutboxMessage, Participant
        async with self.db.transaction() as session:
            await session.execute(
                update(o)
                .where(self._mine(row.id))
                .values(status="failed", attempts=o.attempts + 1, last_error=error[:500])
            )
            await session.execute(
                update(o)
                .where(o.channel == row.channel, o.chat_id == row.chat_id, o.status == "pending")
                .values(status="failed", last_error="participant unreachable")
            )
            result = await session.execute(
                update(p)
                .where(p.id == row.participant_id, p.unreachable.is_(False))
                .values(unreachable=True, updated_at=now)
            )
            changed = bool(result.rowcount)  # type: ignore[attr-defined]
            if changed:
                audit(session, at=now, participant_id=row.participant_id, actor="sender", action="unreachable",
                      detail={"outbox_id": row.id})  # fmt: skip
            return changed

    async def recover(self, *, every_claim: bool) -> Recovery:
        """Settle rows left ``sending`` by a sender that died (``every_claim``: SQLite, one process at a
        time, so every claim is a dead one; otherwise only claims whose lease has run out).

        Rule: every such row goes back to ``pending`` and resumes after its recorded parts, reminders and
        notices as much as replies, so nothing is lost. Only a chat's oldest open row is ever claimed,
        so at most one message per chat can have been in flight: that one (or its part in flight) may
        arrive twice, no other message is repeated (docs/operations.md)."""
        now, o = self.clock.now(), OutboxMessage
        stale = o.status == "sending"
        if not every_claim:
            stale = and_(stale, o.claimed_at < now - self.lease)
        async with self.db.transaction() as session:
            query = select(o.id).where(stale).order_by(o.id)
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            resent = list(await session.scalars(query))
            if resent:
                await session.execute(
                    update(o).where(o.id.in_(resent)).values(
                        status="pending", claimed_by=None, claimed_at=None,
                        last_error="in flight when its sender stopped; sent again (at least once)",
                    )
                )  # fmt: skip
        return Recovery(resent=resent)

    async def next_due(self) -> datetime | None:
        """When the earliest pending row becomes due (for the sender's idle wait)."""
        async with self.db.reading() as session:
            return await session.scalar(
                select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == "pending")
            )

    async def undelivered_staff(self) -> tuple[int, datetime | None]:
        """Rows a chat refused and that wait for a retry (the staff group), and the first refusal."""
        o = OutboxMessage
        async with self.db.reading() as session:
            row = (
                await session.execute(
                    select(func.count(o.id), func.min(o.refused_at)).where(
                        o.status == "pending", o.refused_at.is_not(None)
                    )
                )
            ).one()
            return int(row[0]), row[1]


def _bound(mark: dict[str, Any]) -> dict[str, Any]:
    """A mark's values for the UPDATE (its follow-up is written separately)."""
    return {key: value for key, value in mark.items() if key != "then"}
