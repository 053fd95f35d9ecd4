"""Run an async storage hook (written against ``AsyncSession``) inside a sync group-commit batch.

The measures' score hook (``bot/service_measures.record_scores``) awaits only its session. Inside a
batch of the group-commit writer we hold a sync ``Connection`` in a worker thread: an ORM ``Session``
joined to that connection's transaction answers every call at once, so the hook's coroutine runs to
its end in one step, and its rows commit (or roll back) with the batch.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

T = TypeVar("T")


class ImmediateSession:
    """The part of ``AsyncSession`` the hooks use, over a sync ``Session``."""

    def __init__(self, session: Session) -> None:
        self.sync = session

    async def scalar(self, statement: Any) -> Any:
        return self.sync.scalar(statement)

    async def scalars(self, statement: Any) -> Any:
        return self.sync.scalars(statement)

    async def execute(self, statement: Any) -> Any:
        return self.sync.execute(statement)

    async def flush(self) -> None:
        self.sync.flush()

    def add(self, row: Any) -> None:
        self.sync.add(row)


def run_hook(conn: Connection, hook: Any) -> Any:
    """``hook(session)`` returns the coroutine to run; its result, after its rows are flushed."""
    with Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        result = run_now(hook(ImmediateSession(session)))
        session.flush()
        session.commit()  # releases the savepoint only; the batch's transaction commits the rows
        return result


def run_now(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits on the event loop (it only awaits ``ImmediateSession``)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a storage hook waited on the event loop inside a sync batch")
