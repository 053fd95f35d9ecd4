"""Executemany without SQLAlchemy's per-row parameter processing, for the two bulk statements.

A sweep writes one participant row and one outbox row per participant, 100,000 of each in an
evening. ``Connection.execute(statement, rows)`` spends more time building each row's parameters
(a dict walk, then every column's bind processor, per row) than the database spends storing it.
Here a statement is compiled once per dialect, its columns' own bind processors (the same
functions SQLAlchemy would call, our ``UTCDateTime`` and the JSON serializer among them) are run
in a plain loop, and the result goes to the driver's ``executemany`` through ``exec_driver_sql``.
Values that repeat (the instant a sweep decided at, stamped on every row) are converted once.

The SQL and the stored values are exactly those of ``Connection.execute``: tests write the same
rows both ways on SQLite and PostgreSQL and compare them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class RawStatement:
    sql: str
    names: tuple[str, ...]  # parameter order (positional paramstyles) or keys (named ones)
    processors: tuple[Processor | None, ...]
    defaults: Mapping[str, Any]  # a column's scalar Python default, for rows that leave it out
    positional: bool


@functools.cache
def _compiled(statement: UpdateBase, keys: tuple[str, ...], dialect_name: str, dialect: Dialect) -> RawStatement:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    table = getattr(statement, "table", None)
    defaults: dict[str, Any] = {}
    for name in names:
        column = table.c.get(name) if table is not None else None
        default = getattr(column, "default", None)
        if default is not None and getattr(default, "is_scalar", False):
            defaults[name] = default.arg
    processors = tuple(_memoized(compiled.binds[name].type.bind_processor(dialect)) for name in names)
    return RawStatement(str(compiled), names, processors, defaults, compiled.positional)


def _memoized(processor: Processor | None) -> Processor | None:
    """Convert each distinct date or datetime once per statement run (they repeat across rows)."""
    if processor is None:
        return None
    seen: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        if isinstance(value, date | datetime):
            try:
                return seen[value]
            except KeyError:
                if len(seen) > 4096:
                    seen.clear()
                converted = seen[value] = processor(value)
                return converted
        return processor(value)

    return process


def executemany(conn: Connection, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> None:
    """``conn.execute(statement, rows)`` for an INSERT or UPDATE whose rows all have the same keys."""
    if not rows:
        return
    dialect = conn.dialect
    raw = _compiled(statement, tuple(rows[0]), dialect.name, dialect)
    columns = tuple(zip(raw.names, raw.processors, strict=True))
    defaults = raw.defaults
    params: list[Any] = []
    for row in rows:
        values = [
            (p(row[name]) if p is not None else row[name]) if name in row else defaults.get(name) for name, p in columns
        ]
        params.append(tuple(values) if raw.positional else dict(zip(raw.names, values, strict=True)))
    conn.exec_driver_sql(raw.sql, params)
