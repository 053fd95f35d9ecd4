"""One forum topic per participant in the staff group: found, created once, recreated when gone.

The Telegram transport asks here for a participant's ``message_thread_id`` just before it sends a
staff message, so creating the topic costs nothing on the participant's write path. A burst of first
messages creates one topic: creations are serialised by a lock and the row is unique per
participant (a second process that loses the race reads the winner's topic).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.tables_relay import RelayTopic

log = logging.getLogger(__name__)

CreateTopic = Callable[[str], Awaitable[int | None]]  # name -> thread id, or None: the group has no topics
RenameTopic = Callable[[int, str], Awaitable[None]]  # thread id, new name (the week moved on)


class TopicDirectory:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        chat_id: str,
        create: CreateTopic,
        enabled: bool = True,
        rename: RenameTopic | None = None,
    ) -> None:
        self.db, self.clock, self.chat_id, self.create, self.enabled = db, clock, chat_id, create, enabled
        self.rename = rename
        self._lock = asyncio.Lock()

    async def thread_for(self, participant_id: int, name: str) -> int | None:
        """The participant's thread id (creating the topic on first need); None without topics.

        When ``name`` differs from the stored one (a new week, the arm became known) the topic is
        renamed; a failed rename is logged and changes nothing else.
        """
        if not self.enabled:
            return None
        found = await self._stored(participant_id)
        if found is not None and (found[1] == name or found[0] is None or self.rename is None):
            return found[0]
        async with self._lock:
            found = await self._stored(participant_id)
            if found is None:
                return await self._create(participant_id, name, replace=False)
            if found[0] is not None and found[1] != name and self.rename is not None:
                await self._rename(participant_id, found[0], name)
            return found[0]

    async def _rename(self, participant_id: int, thread_id: int, name: str) -> None:
        try:
            await self.rename(thread_id, name)  # type: ignore[misc]
        except Exception as exc:  # a cosmetic change: never let it stop a message
            log.warning("could not rename topic %s: %s", thread_id, exc.__class__.__name__)
            return
        async with self.db.transaction() as session:
            row = await session.scalar(select(RelayTopic).where(RelayTopic.participant_id == participant_id))
            if row is not None:
                row.name = name

    async def recreate(self, participant_id: int, name: str, gone: int) -> int | None:
        """Telegram said thread ``gone`` no longer exists: make a new topic (once, however many ask)."""
        async with self._lock:
            found = await self._stored(participant_id)
            if found is not None and found[0] != gone:
                return found[0]  # someone already replaced it
            log.warning("topic %s for participant %d is gone; creating a new one", gone, participant_id)
            return await self._create(participant_id, name, replace=True)

    async def _stored(self, participant_id: int) -> tuple[int | None, str] | None:
        async with self.db.reading() as session:
            row = await session.scalar(select(RelayTopic).where(RelayTopic.participant_id == participant_id))
            return None if row is None else (row.thread_id, row.name)

    async def _create(self, participant_id: int, name: str, replace: bool) -> int | None:
        thread_id = await self.create(name)
        try:
            async with self.db.transaction() as session:
                row = await session.scalar(select(RelayTopic).where(RelayTopic.participant_id == participant_id))
                if row is None:
                    session.add(RelayTopic(participant_id=participant_id, chat_id=self.chat_id, thread_id=thread_id,
                                           name=name, created_at=self.clock.now()))  # fmt: skip
                elif replace:
                    row.thread_id, row.name = thread_id, name
                else:
                    return row.thread_id
        except IntegrityError:  # another process created it first: use theirs
            found = await self._stored(participant_id)
            return found[0] if found else thread_id
        return thread_id
