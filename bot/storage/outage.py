"""Outages said once: one ERROR line when the database stops answering (with its cause) and one when
it answers again, instead of a traceback for every event in between.

``Outage.failed(exc)`` is told of every failure that is the database's (``is_outage``), ``Outage.ok()``
of every success; only the changes are logged. ``missing_schema`` tells a database without our tables
(dropped and recreated empty) from one that is down: that one is migrated, not waited for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError

from bot.errors import StorageUnavailable

log = logging.getLogger(__name__)
OUTAGE_ERRORS = (OperationalError, InterfaceError, DBAPIError, OSError, StorageUnavailable)


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, OUTAGE_ERRORS) and not missing_schema(exc)


def missing_schema(exc: BaseException) -> bool:
    """SQLite's "no such table", PostgreSQL's undefined table (42P01)."""
    if not isinstance(exc, OperationalError | ProgrammingError | DBAPIError):
        return False
    text = str(getattr(exc, "orig", exc))
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(getattr(exc, "orig", None), "pgcode", None)
    return (
        "no such table" in text or code == "42P01" or "UndefinedTableError" in type(getattr(exc, "orig", exc)).__name__
    )


class Outage:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.since: float | None = None
        self.failures = 0

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        if self.since is None:
            self.since = self.clock()
            cause = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200] if str(exc) else ""
            log.error("database unavailable: %s: %s; updates wait unconfirmed until it is back",
                      type(exc).__name__, cause)  # fmt: skip

    def ok(self) -> None:
        if self.since is not None:
            seconds, failures = self.clock() - self.since, self.failures
            self.since, self.failures = None, 0
            log.error("database available again after %.0f s (%d failed attempts in between)", seconds, failures)
