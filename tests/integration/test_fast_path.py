"""The fast path's fence (``bot/storage/bulk.py``): what it takes from SQLAlchemy beyond the public API
is still there and still behaves, and the installed SQLAlchemy is the release it was verified against.

Each failure here says what to do: rerun the equivalence tests (tests/integration/test_bulk.py, on
SQLite and PostgreSQL) against the new release and bump ``SQLALCHEMY_VERIFIED``, or run with
``ICBT_STORAGE_FAST_PATH=false`` (plain SQLAlchemy, the same rows) until the fast path is mended.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import asyncpg

from bot.storage import bulk
from bot.storage.models import ProcessedEvent
from bot.storage.rows import OUTBOX, OUTBOX_KEYS, SWEEP_STATE, SWEEP_STATE_KEYS, UPDATE_STATE, statements

ROOT = Path(__file__).resolve().parents[2]
WHAT_TO_DO = (
    f"the fast path (bot/storage/bulk.py) relies on SQLAlchemy internals verified on {bulk.SQLALCHEMY_VERIFIED}: run "
    "tests/integration/test_bulk.py and test_fast_path.py on SQLite and PostgreSQL against the new release "
    "and, when they pass, bump SQLALCHEMY_VERIFIED; meanwhile ICBT_STORAGE_FAST_PATH=false stores the same "
    "rows through plain SQLAlchemy"
)
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": asyncpg.dialect()}
NOW = datetime(2026, 3, 29, 18, 0, tzinfo=UTC)


def _own_insert_ignore(dialect: str, table: Table) -> sqlalchemy.Insert:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).on_conflict_do_nothing()


def test_the_installed_sqlalchemy_is_the_release_the_fast_path_was_verified_against() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [m.group(1) for d in dependencies if (m := re.fullmatch(r"SQLAlchemy(?:\[[^]]*\])?==(\S+)", d))]
    assert pins == [bulk.SQLALCHEMY_VERIFIED], f"pyproject.toml pins SQLAlchemy {pins}; {WHAT_TO_DO}"
    assert sqlalchemy.__version__ == bulk.SQLALCHEMY_VERIFIED, f"SQLAlchemy {sqlalchemy.__version__}; {WHAT_TO_DO}"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_insert_ignore_compiles_to_the_dialects_own_on_conflict_do_nothing(dialect: str) -> None:
    events: Table = ProcessedEvent.__table__  # type: ignore[assignment]
    compile_for = DIALECTS[dialect]
    for ours, theirs in (
        (bulk.insert_ignore(dialect, OUTBOX), _own_insert_ignore(dialect, OUTBOX)),
        (bulk.insert_ignore(dialect, events).returning(events.c.event_id),
         _own_insert_ignore(dialect, events).returning(events.c.event_id)),
    ):  # fmt: skip
        sql = str(ours.compile(dialect=compile_for))
        assert sql == str(theirs.compile(dialect=compile_for)), WHAT_TO_DO
        assert " ON CONFLICT DO NOTHING" in sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_insert_ignore_is_cached_where_the_dialects_own_is_not(dialect: str) -> None:
    """Why the fast path has its own: were SQLAlchemy to cache ``on_conflict_do_nothing()`` one day, its
    subclasses could go (the last assertion says so). The key must tell tables apart and nothing else."""
    events: Table = ProcessedEvent.__table__  # type: ignore[assignment]
    key = bulk.insert_ignore(dialect, OUTBOX)._generate_cache_key()
    assert key is not None, WHAT_TO_DO
    assert key == bulk.insert_ignore(dialect, OUTBOX)._generate_cache_key()
    assert key != bulk.insert_ignore(dialect, events)._generate_cache_key()
    assert key != OUTBOX.insert()._generate_cache_key(), "a plain INSERT must never share the cached SQL"
    assert _own_insert_ignore(dialect, OUTBOX)._generate_cache_key() is None, (
        "SQLAlchemy caches on_conflict_do_nothing() now: insert_ignore may use it (and lose its internals)"
    )


def test_the_insert_ignore_compiles_once_and_ignores_a_duplicate() -> None:
    """Executed, not only compiled: two executions share one entry of the compiled cache, and the second
    row with the same unique key is left out without an error."""
    table = Table("things", MetaData(), Column("id", Integer, primary_key=True), Column("key", String, unique=True))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    cache: dict = {}
    with engine.begin() as conn:
        conn = conn.execution_options(compiled_cache=cache)
        for _ in range(2):
            conn.execute(bulk.insert_ignore("sqlite", table), [{"key": "a"}, {"key": "b"}])
        assert conn.scalar(select(func.count()).select_from(table)) == 2
    assert len([k for k in cache if "INSERT" in str(cache[k])]) == 1, WHAT_TO_DO
    engine.dispose()


@pytest.mark.parametrize("dialect", [*DIALECTS.values(), postgresql.psycopg2.dialect()], ids=lambda d: d.driver)
def test_generated_rows_are_the_rows_made_without_generated_code(dialect) -> None:
    """``RawStatement.maker``'s generated code against the plain loop the fallback uses, for the sweep's,
    an event's and the outbox's statements (positional and named parameter styles)."""
    state = {"pid": 7, "code": "P-0007", "status": "active", "paused": True, "start_date": None,
             "language": "en", "timezone": "Europe/Stockholm", "position": bulk.encode({"a": [1, 2.5]}),
             "next_due_at": NOW, "updated_at": NOW}  # fmt: skip
    message = dict(zip(OUTBOX_KEYS, (7, "test", "7", {"text": "hej"}, "pending", 0, NOW, "k", NOW, 1), strict=True))
    for statement, keys, row in (
        (SWEEP_STATE, SWEEP_STATE_KEYS, state),
        (UPDATE_STATE, tuple(state), state),
        (statements(dialect.name).outbox, OUTBOX_KEYS, message),
    ):
        raw = bulk.prepare(statement, keys, dialect)
        assert raw.generated
        values = [row[k] for k in keys]
        assert raw.maker(keys)(*values) == raw.looped_maker(keys)(*values) == raw.params({k: row[k] for k in keys})
