"""Save, then confirm: every Telegram update is in the database before Telegram learns it was handled.

python-telegram-bot's ``Updater`` puts each update it fetched into the application's update queue and
then asks ``getUpdates`` for the next offset, which tells Telegram the earlier ones were handled; a
webhook is answered 200 once its update is in the queue. ``DurableQueue.put`` records the update in
``telegram_inbox`` (one committed row) before it queues it, so by the time Telegram moves on the
update is durable, in polling and webhook mode alike. If it cannot be recorded (the database is
away), ``put`` raises ``InboxUnavailable``: the polling loop keeps the offset and tries again after
a pause, and the webhook answers 500 so Telegram sends it again.

``InboxApplication.process_update`` deletes the row once the update was processed; one whose handler
failed stays and is tried again (``replay``) at the next start, and by the sweep after ``LEASE``, at
most ``MAX_ATTEMPTS`` times. Processing an update twice is harmless: a participant's event and a staff
update are each recorded by update id and a repeated id does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application

from bot.clock import Clock
from bot.storage.bulk import insert_ignore
from bot.storage.database import Database
from bot.storage.tables_runtime import InboxUpdate
from bot.text import clean_text

log = logging.getLogger(__name__)

INBOX = InboxUpdate.__table__
LEASE = timedelta(minutes=2)  # an update older than this and not done is tried again by the sweep
MAX_ATTEMPTS = 5  # then it stays in the inbox for an admin, with one ERROR line


class InboxUnavailable(NetworkError):
    """The update could not be recorded; Telegram must not be told it was handled."""


def _clean(value: Any) -> Any:
    """Every string of an update storable (a lone surrogate cannot be encoded as UTF-8)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class Inbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def record(self, update: Update) -> None:
        row = {"update_id": update.update_id, "payload": _clean(update.to_dict()), "attempts": 0,
               "received_at": self.clock.now()}  # fmt: skip
        await self.db.run_write(lambda conn: conn.execute(insert_ignore(conn.dialect.name, INBOX), row))

    async def done(self, update_id: int) -> None:
        await self.db.run_write(lambda conn: conn.execute(delete(INBOX).where(INBOX.c.update_id == update_id)))

    async def failed(self, update_id: int) -> None:
        """Counted, and left for a later try (``LEASE`` from now)."""

        def count(conn: Connection) -> int | None:
            c = INBOX.c
            conn.execute(update(INBOX).where(c.update_id == update_id)
                         .values(attempts=c.attempts + 1, received_at=self.clock.now()))  # fmt: skip
            return conn.scalar(select(c.attempts).where(c.update_id == update_id))

        attempts = await self.db.run_write(count)
        if attempts is not None and attempts >= MAX_ATTEMPTS:
            log.error("update %d failed %d times; kept in telegram_inbox for an admin", update_id, attempts)

    async def pending(self, received_before: datetime | None = None) -> list[tuple[int, dict[str, Any]]]:
        c = INBOX.c
        query = select(c.update_id, c.payload).where(c.attempts < MAX_ATTEMPTS).order_by(c.update_id)
        if received_before is not None:
            query = query.where(c.received_at < received_before)
        async with self.db.reading() as session:
            return [(row.update_id, row.payload) for row in await session.execute(query)]


class DurableQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The application's update queue; ``inbox`` is set once the database is open."""

    def __init__(self) -> None:
        super().__init__()
        self.inbox: Inbox | None = None

    async def put(self, item: Any) -> None:
        if self.inbox is not None and isinstance(item, Update):
            try:
                await self.inbox.record(item)
            except Exception as exc:
                raise InboxUnavailable(f"update {item.update_id} not recorded: {type(exc).__name__}") from None
        await super().put(item)


class InboxApplication(Application):  # type: ignore[type-arg]
    """Deletes an update's inbox row once it was processed without error."""

    inbox: Inbox | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_flight: set[int] = set()
        self.failures: set[int] = set()

    def mark_failed(self, update: object) -> None:
        """Called by the error handler: this update is kept for another try."""
        if isinstance(update, Update):
            self.failures.add(update.update_id)

    async def process_update(self, update: object) -> None:
        if self.inbox is None or not isinstance(update, Update):
            await super().process_update(update)
            return
        update_id = update.update_id
        self.in_flight.add(update_id)
        try:
            await super().process_update(update)
        finally:
            self.in_flight.discard(update_id)
        try:
            if update_id in self.failures:
                self.failures.discard(update_id)
                await self.inbox.failed(update_id)
            else:
                await self.inbox.done(update_id)
        except Exception as exc:  # the row stays; a repeat of a done update does nothing
            log.warning("inbox row of update %d not updated (%s)", update_id, type(exc).__name__)

    async def replay(self, received_before: datetime | None = None) -> int:
        """Process what was recorded but not processed (all of it at start; by the sweep, what is older
        than ``LEASE``), in update order; returns how many."""
        if self.inbox is None:
            return 0
        count = 0
        for update_id, payload in await self.inbox.pending(received_before):
            if update_id in self.in_flight:
                continue
            log.info("update %d was recorded but not processed; processing it now", update_id)
            await self.process_update(Update.de_json(payload, self.bot))
            count += 1
        return count
