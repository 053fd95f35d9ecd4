"""Group commit: events that arrive together share one transaction, each acknowledged after it.

``submit(item)`` queues an item and returns its result once the transaction it was written in has
committed. While one batch commits, the next items queue up; the next batch takes up to
``max_batch`` of them, so under load one commit (and on SQLite one WAL write) serves many events,
and at low load a lone event commits at once. ``run_batch(conn, items)`` handles a whole batch in
one transaction and returns one result per item, in order.

If a batch fails, nothing of it was written: it is rolled back and every item in it runs again alone,
so one bad event costs its batch-mates a retry, never their events.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from bot.storage.database import Database

log = logging.getLogger(__name__)

Item = TypeVar("Item")
BatchFn = Callable[[Connection, list[Item]], list[Any]]


class GroupCommitWriter(Generic[Item]):
    def __init__(self, db: Database, run_batch: BatchFn[Item], max_batch: int = 50, workers: int | None = None) -> None:
        self.db, self.run_batch, self.max_batch = db, run_batch, max_batch
        # SQLite has one writer; PostgreSQL commits batches from several connections at once.
        self.workers = workers or (1 if db.is_sqlite else 4)
        self._queue: deque[tuple[Item, asyncio.Future[Any]]] = deque()
        self._running: set[asyncio.Task[None]] = set()  # strong references to the worker tasks
        self._active = 0  # workers inside ``_work``: counted down in the step that sees the queue empty
        self.batches = 0  # how many transactions committed (for tests and the benchmark)

    async def submit(self, item: Item) -> Any:
        """Write ``item`` in a shared transaction; return its result after that transaction committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._active < self.workers:
            # Not ``len(self._running)``: a worker that just found the queue empty is still in that
            # set until its done-callback runs, and an item queued in between would wait forever.
            self._active += 1
            task = asyncio.create_task(self._work())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await future

    async def _work(self) -> None:
        try:
            await asyncio.sleep(0)  # let the events that arrive in this loop iteration join the batch
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
                try:
                    await self._commit(batch)
                except BaseException:  # cancelled (shutdown): nobody may wait forever for an answer
                    for _, future in batch:
                        future.cancel()
                    raise
        finally:
            self._active -= 1  # same step as the empty-queue check: no item can slip in between

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Any]]]) -> None:
        items = [item for item, _ in batch]
        try:
            results = await self.db.run_write(lambda conn: self.run_batch(conn, items))
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], error=exc)
                return
            log.warning("a batch of %d events failed (%s); retrying each alone", len(batch), type(exc).__name__)
            for item, future in batch:
                try:
                    alone = await self.db.run_write(lambda conn, item=item: self.run_batch(conn, [item]))
                    _settle(future, result=alone[0])
                except Exception as alone:
                    _settle(future, error=alone)
                self.batches += 1
            return
        self.batches += 1
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(future: asyncio.Future[Any], result: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # the caller was cancelled; the work is committed (or not) all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
