"""One forum topic per participant in the staff group: recorded, created once, recreated when gone.

The Telegram transport asks here for a participant's ``message_thread_id`` just before it sends a
staff message, so creating the topic costs nothing on the participant's write path.

Creation is an intent first: a ``relay_topics`` row with ``state = "creating"`` is committed *before*
``createForumTopic`` is called, and the thread id is stored after. A burst of first messages creates
one topic (creations are serialised by a lock, the row is unique per participant, and the attempt is
claimed with a compare-and-set on ``attempted_at``). When the call's reply is lost, or the process dies
between the call and storing the id, the intent stays "creating": nobody calls again until ``HOLD``
has passed since that attempt (``TopicPending`` until then; the sender keeps the posts and retries),
and then exactly one caller makes the topic and every waiting post goes into it. Telegram offers no
way to list a group's topics, so a topic whose reply was lost cannot be found again: it stays empty.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.tables_relay import RelayTopic

log = logging.getLogger(__name__)

CreateTopic = Callable[[str], Awaitable[int | None]]  # name -> thread id, or None: the group has no topics
RenameTopic = Callable[[int, str], Awaitable[None]]  # thread id, new name (the week moved on)
MadeNothing = Callable[[Exception], bool]  # True: the failed call certainly created no topic
HOLD = timedelta(minutes=2)  # an attempt younger than this may still be in flight (here or elsewhere)


class TopicPending(Exception):
    """The participant's topic is being created, or its last attempt's outcome is unknown: wait."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"topic being created; retry after {seconds:.0f}s")
        self.seconds = seconds


@dataclass(frozen=True)
class Stored:
    thread_id: int | None
    name: str
    state: str
    attempted_at: datetime | None


class TopicDirectory:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        chat_id: str,
        create: CreateTopic,
        enabled: bool = True,
        rename: RenameTopic | None = None,
        made_nothing: MadeNothing = lambda exc: False,
    ) -> None:
        self.db, self.clock, self.chat_id, self.create, self.enabled = db, clock, chat_id, create, enabled
        self.rename, self.made_nothing = rename, made_nothing
        self._lock = asyncio.Lock()

    async def thread_for(self, participant_id: int, name: str) -> int | None:
        """The participant's thread id (creating the topic on first need); None without topics.

        When ``name`` differs from the stored one (a new week, the arm became known) the topic is
        renamed; a failed rename is logged and changes nothing else.
        """
        if not self.enabled:
            return None
        found = await self._stored(participant_id)
        settled = found is not None and found.state == "ready"
        if settled and (found.name == name or found.thread_id is None or self.rename is None):  # type: ignore[union-attr]
            return found.thread_id  # type: ignore[union-attr]
        async with self._lock:
            found = await self._stored(participant_id)
            if found is None or found.state != "ready":
                return await self._make(participant_id, name, found)
            if found.thread_id is not None and found.name != name and self.rename is not None:
                await self._rename(participant_id, found.thread_id, name)
            return found.thread_id

    async def recreate(self, participant_id: int, name: str, gone: int) -> int | None:
        """Telegram said thread ``gone`` no longer exists: make a new topic (once, however many ask)."""
        async with self._lock:
            found = await self._stored(participant_id)
            if found is not None and found.state == "ready" and found.thread_id != gone:
                return found.thread_id  # someone already replaced it
            log.warning("topic %s for participant %d is gone; creating a new one", gone, participant_id)
            return await self._make(participant_id, name, found, gone=found is not None and found.state == "ready")

    async def reconcile(self) -> int:
        """Make every topic whose creation was left unfinished (a crash, a lost reply) once its last
        attempt is over; run at start-up. Returns how many were made."""
        if not self.enabled:
            return 0
        cutoff = self.clock.now() - HOLD
        async with self.db.reading() as session:
            rows = (await session.execute(
                select(RelayTopic.participant_id, RelayTopic.name).where(
                    RelayTopic.chat_id == self.chat_id, RelayTopic.state == "creating",
                    (RelayTopic.attempted_at.is_(None)) | (RelayTopic.attempted_at <= cutoff))
            )).all()  # fmt: skip
        made = 0
        for participant_id, name in rows:
            try:
                await self.thread_for(participant_id, name)
                made += 1
            except Exception as exc:  # one participant's topic never holds up another's
                log.error("could not make the topic of participant %d: %s", participant_id, type(exc).__name__)
        return made

    async def _make(self, participant_id: int, name: str, found: Stored | None, gone: bool = False) -> int | None:
        """Claim the attempt (committed), call ``createForumTopic``, store the thread id."""
        if not await self._claim(participant_id, name, found, force=gone):
            raise TopicPending(HOLD.total_seconds())
        try:
            thread_id = await self.create(name)
        except Exception as exc:
            if self.made_nothing(exc):  # refused outright: the next try may call again at once
                await self._release(participant_id)
            else:
                log.warning("creating the topic of participant %d failed (%s); it may exist without its id, "
                            "so it is made again only after %s", participant_id, type(exc).__name__, HOLD)  # fmt: skip
            raise
        async with self.db.transaction() as session:
            await session.execute(
                update(RelayTopic)
                .where(RelayTopic.participant_id == participant_id)
                .values(thread_id=thread_id, name=name, state="ready", attempted_at=None)
            )
        return thread_id

    async def _claim(self, participant_id: int, name: str, found: Stored | None, force: bool) -> bool:
        """Commit the intent before the Bot API call. False: another attempt may still be in flight."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as session:
                if found is None:
                    session.add(RelayTopic(participant_id=participant_id, chat_id=self.chat_id, thread_id=None,
                                           name=name, created_at=now, state="creating", attempted_at=now))  # fmt: skip
                    return True
                last = found.attempted_at
                if not force and last is not None and now - last < HOLD:
                    return False
                same = RelayTopic.attempted_at.is_(None) if last is None else RelayTopic.attempted_at == last
                result = await session.execute(
                    update(RelayTopic)
                    .where(RelayTopic.participant_id == participant_id, same)
                    .values(state="creating", attempted_at=now, name=name)
                )
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except IntegrityError:  # another process wrote the intent first: theirs to finish
            return False

    async def _release(self, participant_id: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(RelayTopic).where(RelayTopic.participant_id == participant_id).values(attempted_at=None)
            )

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

    async def _stored(self, participant_id: int) -> Stored | None:
        async with self.db.reading() as session:
            row = await session.scalar(select(RelayTopic).where(RelayTopic.participant_id == participant_id))
            return None if row is None else Stored(row.thread_id, row.name, row.state, row.attempted_at)
