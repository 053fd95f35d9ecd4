"""What an event asked of the trial, durable: written with the event, completed exactly once.

The engine answers an event with ``TrialRequest``s (apply, allocate, withdraw, /mydata) that only the
trial side can do. They are written as ``trial_requests`` rows in the event's own transaction, so an
event that committed can never lose them. ``complete`` then does each pending request in one
transaction of its own: the step's rows (the application and what the participant and staff are told,
the draw and the arm's calendar, the withdrawal) and ``status = done`` commit together, so a request
is done once or not at all. It runs right after the event's commit and again on every sweep (and at
start), so a process that died in between leaves the request to the next one.

A step that fails for a reason that will not go away (``TrialStateError``: say, a draw without a
consent) is marked ``failed`` with one ERROR line and staff are told; any other failure (the database
gone) leaves it pending for the next try.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.programme import Programme
from bot.engine.model import TrialRequest
from bot.errors import TrialStateError
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.storage.outbox import outbox_message
from bot.storage.tables_trial import TrialRequestRow

log = logging.getLogger(__name__)

# Does one request inside the given transaction (``TrialChat.run``, or ``MyData.run`` outside a trial).
Step = Callable[[AsyncSession, int, TrialRequest], Awaitable[None]]
REQUESTS = TrialRequestRow.__table__


def write_requests(conn: Connection, participant_id: int, requests: Sequence[TrialRequest], now: datetime) -> None:
    """In the event's transaction: the requests become rows before anyone is told the event was handled."""
    if requests:
        conn.execute(insert(REQUESTS), [
            {"participant_id": participant_id, "kind": r.kind, "answers": dict(r.answers), "status": "pending",
             "attempts": 0, "created_at": now} for r in requests
        ])  # fmt: skip


class TrialRequests:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        step: Step,
        programme: Programme,
        staff_target: tuple[str, str] | None = None,
    ) -> None:
        self.db, self.clock, self.step, self.programme = db, clock, step, programme
        self.staff_target = staff_target

    async def complete(self, participant_id: int | None = None) -> int:
        """Do every pending request (of one participant, or of everyone), oldest first; returns how many
        were done now."""
        t = TrialRequestRow
        query = select(t.id, t.participant_id).where(t.status == "pending").order_by(t.id)
        if participant_id is not None:
            query = query.where(t.participant_id == participant_id)
        async with self.db.reading() as session:
            pending = (await session.execute(query)).all()
        done, waiting = 0, set()
        for request_id, owner in pending:
            if owner in waiting:
                continue  # an earlier request of theirs is not done: theirs keep their order
            try:
                done += await self._complete_one(request_id)
            except TrialStateError as exc:
                await self._fail(request_id, str(exc))
            except Exception as exc:  # the database or a bug: left pending, tried again by the next sweep
                log.error("trial request %d not done yet (%s); tried again later", request_id, type(exc).__name__)
                await self._count_attempt(request_id, type(exc).__name__)
                waiting.add(owner)
        return done

    async def _complete_one(self, request_id: int) -> int:
        async with self.db.transaction() as session:
            row = await session.get(TrialRequestRow, request_id, with_for_update=not self.db.is_sqlite)
            if row is None or row.status != "pending":
                return 0  # another process did it
            request = TrialRequest(kind=row.kind, answers=dict(row.answers or {}))  # type: ignore[arg-type]
            await self.step(session, row.participant_id, request)
            row.status, row.done_at, row.answers = "done", self.clock.now(), {}
            row.attempts += 1
        log.info("trial request %d (%s) done", request_id, request.kind)
        return 1

    async def _count_attempt(self, request_id: int, error: str) -> None:
        try:
            async with self.db.transaction() as session:
                row = await session.get(TrialRequestRow, request_id)
                if row is not None and row.status == "pending":
                    row.attempts, row.last_error = row.attempts + 1, error[:200]
        except Exception:  # the database is still away: the sweep's next try counts again
            log.debug("could not count the attempt of trial request %d", request_id)

    async def _fail(self, request_id: int, reason: str) -> None:
        """Marked failed (never tried again) and staff told, in one transaction."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            row = await session.get(TrialRequestRow, request_id)
            if row is None or row.status != "pending":
                return
            row.status, row.last_error, row.done_at, row.attempts = "failed", reason[:200], now, row.attempts + 1
            participant = await session.get(Participant, row.participant_id)
            code = participant.code if participant is not None else f"P-{row.participant_id:04d}"
            log.error("trial request %d (%s) of %s failed: %s", request_id, row.kind, code, reason)
            if self.staff_target is not None:
                text = self.programme.msg(self.programme.spec.default_language, "trial.staff_request_failed",
                                          code=code, kind=row.kind, reason=reason)  # fmt: skip
                payload = {"text": text, "buttons": [], "image": None}
                session.add(outbox_message(row.participant_id, self.staff_target, payload, now))
