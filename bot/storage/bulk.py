"""Bulk INSERTs and UPDATEs without SQLAlchemy's per-row parameter processing.

A sweep writes one participant row and one outbox row per participant, 100,000 of each in an
evening, and an event batch writes its rows the same way. ``Connection.execute(statement, rows)``
spends more time building each row's parameters (a dict walk, then every column's bind processor,
per row) than the database spends storing it. Here a statement is compiled once per dialect, and a
row's driver parameters come from one generated function (``RawStatement.maker``) that calls the
columns' own bind processors (the functions SQLAlchemy would call, our ``UTCDateTime`` and the JSON
serializer among them); values that repeat (the instant a sweep decided at, stamped on every row)
are converted once. The rows go to the driver's ``executemany`` on the connection's own cursor
(``on_driver``: no execution context per statement, errors raised as SQLAlchemy raises them), or on
PostgreSQL over asyncpg into one statement over column arrays (``prepare_unnest``).

The SQL and the stored values are exactly those of ``Connection.execute``: tests write the same
rows both ways on SQLite and PostgreSQL and compare them.

This module is the fast path's fence: the generated code (``RawStatement.maker``) and every use of
SQLAlchemy's private internals (``insert_ignore``: a dialect ``Insert`` whose ``_post_values_clause``
is set by hand and whose ``OnConflictDoNothing`` has no ``_traverse_internals``) are here and nowhere
else. They were verified against SQLAlchemy ``SQLALCHEMY_VERIFIED``; tests/integration/test_fast_path.py
fails loudly when another version is installed or when the internals stop behaving as relied on.
``use_fast_path(False)`` (the setting ``storage_fast_path``) is the fallback to plain SQLAlchemy:
writes go through ``Connection.execute(statement, rows)``, the insert-ignore is the dialect's own
``on_conflict_do_nothing()`` and no code is generated; the same rows are stored, more slowly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import JSON, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import dml as postgresql_dml
from sqlalchemy.dialects.sqlite import dml as sqlite_dml
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeDecorator

from bot.storage.database import dumps

Processor = Callable[[Any], Any]

# The SQLAlchemy release the fast path (the generated row makers, ``insert_ignore``'s internals) was
# verified against: the version pinned in pyproject.toml. Before raising the pin, run
# tests/integration/test_bulk.py and test_fast_path.py on SQLite and PostgreSQL, then bump this; or
# run with ``ICBT_STORAGE_FAST_PATH=false`` until they pass.
SQLALCHEMY_VERIFIED = "2.0.58"

_fast_path = True


def use_fast_path(enabled: bool) -> None:
    """Switch the fast path on or off for this process (the setting ``storage_fast_path``, applied at
    start-up; a sweep's forked workers inherit it). Statements are kept per choice, so switching
    never hands out one made for the other."""
    global _fast_path
    _fast_path = enabled


def fast_path() -> bool:
    """Whether bulk writes take the fast path: the one question every choice below asks."""
    return _fast_path


class Encoded:
    """A JSON column's value already serialized (with ``dumps``, as the column would): stored as is.

    A wrapper, not a ``str`` subclass: the column's processor hands the very same ``str`` on, so an
    offer's JSON that 500 rows of a chunk share is pickled to the sweeping process once, not 500 times."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def encode(value: Any) -> Encoded:
    return Encoded(dumps(value))


@dataclass(frozen=True)
class RawStatement:
    sql: str
    names: tuple[str, ...]  # parameter order (positional paramstyles) or keys (named ones)
    processors: tuple[Processor | None, ...]
    defaults: Mapping[str, Any]  # for parameters a row leaves out: a column's default, a fixed value
    positional: bool
    columns: bool = False  # PostgreSQL's one statement over column arrays (``prepare_unnest``)
    generated: bool = True  # rows made by generated code; False (fast path off): by a plain function
    # Fast path off, for an INSERT or UPDATE: rows stay as given (a dict each) and are written by
    # ``Connection.execute(plain, rows)``, SQLAlchemy's own parameter processing.
    plain: UpdateBase | None = None
    _makers: dict[tuple[str, ...], Callable[..., Any]] = field(default_factory=dict, compare=False, repr=False)

    def params(self, row: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """One row's parameters as the driver takes them (what SQLAlchemy would bind)."""
        keys = tuple(row)
        make = self._makers.get(keys)
        if make is None:
            make = self._makers[keys] = self.maker(keys)
        return make(*row.values())

    def maker(self, keys: Sequence[str]) -> Callable[..., tuple[Any, ...] | dict[str, Any]]:
        """``params`` as a function of ``keys``' values, given in that order: no dict to build and walk
        per row (a sweep makes 200,000 rows). Generated, as ``namedtuple`` makes its methods, so that a
        row costs one call: each value put in its place, through its column's processor if it has one."""
        if self.plain is not None:
            return _plain_maker(tuple(keys))
        if not self.generated:
            return self.looped_maker(tuple(keys))
        space: dict[str, Any] = {}
        args = [f"a{i}" for i in range(len(keys))]
        values = []
        for n, (name, processor) in enumerate(zip(self.names, self.processors, strict=True)):
            if name not in keys:  # a default, bound as it is
                space[f"c{n}"] = self.defaults.get(name)
                values.append(f"c{n}")
            elif processor is not None:
                space[f"p{n}"] = processor
                values.append(f"p{n}({args[keys.index(name)]})")
            else:
                values.append(args[keys.index(name)])
        body = (f"({', '.join(values)},)" if self.positional
                else "{" + ", ".join(f"{name!r}: {v}" for name, v in zip(self.names, values, strict=True)) + "}")  # fmt: skip
        source = f"def make({', '.join(args)}):\n    return {body}"  # made of parameter names only, no values
        exec(source, space)
        return space["make"]  # type: ignore[no-any-return]

    def looped_maker(self, keys: tuple[str, ...]) -> Callable[..., tuple[Any, ...] | dict[str, Any]]:
        """``maker`` without generated code (fast path off): the same parameters, a loop per row."""
        slots = [(keys.index(name), None, processor) if name in keys else (None, self.defaults.get(name), None)
                 for name, processor in zip(self.names, self.processors, strict=True)]  # fmt: skip
        names, positional = self.names, self.positional

        def make(*values: Any) -> tuple[Any, ...] | dict[str, Any]:
            out = [constant if at is None else processor(values[at]) if processor is not None else values[at]
                   for at, constant, processor in slots]  # fmt: skip
            return tuple(out) if positional else dict(zip(names, out, strict=True))

        return make

    def run(self, conn: Connection, params: Sequence[Any]) -> None:
        """Execute for rows already made by ``params`` (perhaps in another process)."""
        if not params:
            return
        if self.plain is not None:  # fast path off: SQLAlchemy's own executemany
            conn.execute(self.plain, list(params))
            return
        if self.columns:  # one execution: each parameter is a column's values, in row order
            on_driver(conn, self.sql, tuple(list(values) for values in zip(*params, strict=True)), many=False)
        else:
            on_driver(conn, self.sql, list(params), many=True)

    def query(self, conn: Connection, row: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """A statement's rows as the driver returns them: no result processing, so they compare as stored."""
        if not self.generated:
            return [tuple(r) for r in conn.exec_driver_sql(self.sql, self.params(row)).all()]
        return [tuple(r) for r in on_driver(conn, self.sql, self.params(row), many=False)]


def on_driver(conn: Connection, sql: str, params: Any, many: bool) -> list[Any]:
    """Run ``sql`` on the driver's cursor of ``conn``'s connection, inside its transaction; the rows.

    What ``conn.exec_driver_sql`` does, without its execution context, result object and events (most
    of the cost of recording one event id, a statement run for every answer). A driver error is raised
    as SQLAlchemy raises it (``DBAPIError.instance``: ``IntegrityError``, ``OperationalError``, …, with
    the parameters hidden), and a lost connection is invalidated, so callers and the outage handling
    see what they would see from SQLAlchemy."""
    fairy = conn.connection
    cursor = fairy.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
    except conn.dialect.loaded_dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, fairy.dbapi_connection, cursor)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=conn.dialect, ismulti=many) from exc  # fmt: skip
    finally:
        cursor.close()


def prepare(statement: ClauseElement, keys: tuple[str, ...], dialect: Dialect) -> RawStatement:
    """``statement`` compiled once for ``dialect``, taking ``keys`` as parameters."""
    return _prepare(statement, keys, dialect, fast_path())


@functools.cache
def _prepare(statement: ClauseElement, keys: tuple[str, ...], dialect: Dialect, fast: bool) -> RawStatement:
    many = isinstance(statement, UpdateBase)  # an INSERT or UPDATE runs for many rows at once
    if many and not fast:
        sql = str(statement.compile(dialect=dialect, column_keys=list(keys)))
        return RawStatement(sql, keys, (None,) * len(keys), {}, positional=False, generated=False, plain=statement)
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=many)
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    table = getattr(statement, "table", None)
    defaults: dict[str, Any] = {}
    for name in names:
        column = table.c.get(name) if table is not None else None
        default = getattr(column, "default", None)
        if default is not None and getattr(default, "is_scalar", False):
            defaults[name] = default.arg  # a column's Python default (INSERT)
        elif name not in keys and compiled.binds[name].value is not None:
            defaults[name] = compiled.binds[name].value  # a value the statement carries (SQLite's OFFSET 0)
    processors = tuple(_processor(compiled.binds[name].type, dialect) for name in names)
    return RawStatement(str(compiled), names, processors, defaults, compiled.positional, generated=fast)


def prepare_unnest(table: Table, keys: tuple[str, ...], dialect: Dialect, match: tuple[str, str] | None = None
                   ) -> RawStatement:  # fmt: skip
    """PostgreSQL: many rows' INSERT (``ON CONFLICT DO NOTHING``), or UPDATE by ``match`` (a key and
    the column it finds the row by), as one statement over one array per column (``unnest``).

    ``executemany`` runs a statement once per row, and the server's per-execution work (bind, plan,
    executor start and end, a message each way) costs more than storing a sweep's row; here a chunk
    of 500 is one execution. Rows are made by ``maker`` / ``params`` exactly as for ``prepare``, the
    values in the order of ``keys``, each through its column's own bind processor. The parameters
    are written ``$1, $2, …``: asyncpg's style (``unnest_fits``). Part of the fast path: with it off
    the same rows go through ``prepare``'s plain SQLAlchemy statements instead."""
    if not fast_path():
        raise ValueError("one statement over arrays is the fast path's, and the fast path is off")
    if not unnest_fits(dialect):
        raise ValueError(f"one statement over arrays is written for PostgreSQL over asyncpg, not {dialect.name}")
    quote = dialect.identifier_preparer.quote
    columns = {key: table.c[match[1] if match and key == match[0] else key] for key in keys}
    arrays, values = [], {}
    for n, (key, column) in enumerate(columns.items(), start=1):
        json = isinstance(column.type, JSON)  # sent as text, stored as the column's JSON
        arrays.append(f"CAST(${n} AS {'TEXT' if json else column.type.compile(dialect)}[])")
        values[key] = f"CAST(v.{quote(key)} AS {column.type.compile(dialect)})" if json else f"v.{quote(key)}"
    source = f"unnest({', '.join(arrays)}) AS v({', '.join(quote(k) for k in keys)})"
    name = quote(table.name)
    if match is None:
        targets = ", ".join(quote(c.name) for c in columns.values())
        sql = f"INSERT INTO {name} ({targets}) SELECT {', '.join(values.values())} FROM {source} ON CONFLICT DO NOTHING"
    else:
        key, column = match
        sets = ", ".join(f"{quote(k)} = {v}" for k, v in values.items() if k != key)
        sql = f"UPDATE {name} SET {sets} FROM {source} WHERE {name}.{quote(column)} = v.{quote(key)}"
    processors = tuple(_processor(column.type, dialect) for column in columns.values())
    return RawStatement(sql, keys, processors, {}, positional=True, columns=True)


def unnest_fits(dialect: Dialect) -> bool:
    """Whether a chunk's rows go as one statement over column arrays: PostgreSQL over asyncpg, fast path on."""
    return fast_path() and dialect.name == "postgresql" and dialect.paramstyle == "numeric_dollar"


def _processor(type_: Any, dialect: Dialect) -> Processor | None:
    type_ = type_.dialect_impl(dialect)  # the dialect's own type: SQLite's DATETIME stores a fixed-width text
    processor = type_.bind_processor(dialect)
    impl = type_.impl if isinstance(type_, TypeDecorator) else type_
    if isinstance(impl, JSON) and processor is not None:
        serialize = processor
        return lambda value: value.text if type(value) is Encoded else serialize(value)
    return _memoized(processor)


def _memoized(processor: Processor | None) -> Processor | None:
    """Convert each distinct value once: the same instants, days and flags repeat across a sweep's rows
    (kept per statement, up to 4,096). Equal values convert alike (two aware datetimes are equal when
    they are the same instant, which is what is stored); a naive datetime equals no aware one, so it
    still reaches the processor and is refused there."""
    if processor is None:
        return None
    seen: dict[Any, Any] = {}

    def process(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            if len(seen) > 4096:
                seen.clear()
            converted = seen[value] = processor(value)
            return converted
        except TypeError:  # not hashable
            return processor(value)

    return process


def executemany(conn: Connection, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> None:
    """``conn.execute(statement, rows)`` for an INSERT or UPDATE whose rows all have the same keys."""
    if rows:
        raw = prepare(statement, tuple(rows[0]), conn.dialect)
        raw.run(conn, [raw.params(row) for row in rows])


def _plain_maker(keys: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """Fast path off: a row as ``Connection.execute`` takes it, a value already encoded (``Encoded``)
    given back as what it encodes, for the column to serialize as it would any other."""

    def make(*values: Any) -> dict[str, Any]:
        return {key: orjson.loads(v.text) if type(v) is Encoded else v for key, v in zip(keys, values, strict=True)}

    return make


class _SqliteDoNothing(sqlite_dml.OnConflictDoNothing):
    _traverse_internals = ()  # always bare (no target, no WHERE): nothing varies, so it can be cached
    inherit_cache = True


class _PostgresDoNothing(postgresql_dml.OnConflictDoNothing):
    _traverse_internals = ()
    inherit_cache = True


class _SqliteInsertIgnore(sqlite.Insert):
    """``INSERT … ON CONFLICT DO NOTHING`` that SQLAlchemy's statement cache can hold.

    The dialects' own ``on_conflict_do_nothing()`` opts out of the cache, so every execution compiled
    again (about a third of an event's time). Here the clause is always the same bare DO NOTHING and
    a cache key includes the statement's class, so caching it is exact.
    """

    inherit_cache = True

    def __init__(self, table: Table) -> None:
        super().__init__(table)
        self._post_values_clause = _SqliteDoNothing()


class _PostgresInsertIgnore(postgresql.Insert):
    inherit_cache = True

    def __init__(self, table: Table) -> None:
        super().__init__(table)
        self._post_values_clause = _PostgresDoNothing()


def insert_ignore(dialect: str, table: Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``table`` for ``dialect`` ("sqlite" or "postgresql"):
    cacheable on the fast path, the dialect's own ``on_conflict_do_nothing()`` off it."""
    postgres = dialect == "postgresql"
    if fast_path():
        return _PostgresInsertIgnore(table) if postgres else _SqliteInsertIgnore(table)
    return (postgresql.insert if postgres else sqlite.insert)(table).on_conflict_do_nothing()
