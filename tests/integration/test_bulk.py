"""The bulk executemany stores exactly what ``Connection.execute`` stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError

from bot.storage import bulk
from bot.storage.database import Database
from bot.storage.models import ProcessedEvent
from bot.storage.rows import ANSWERS, AUDIT, OUTBOX, PARTICIPANTS, UPDATE_STATE, statements
from bot.storage.tables_runtime import InboxUpdate

EVENTS: Table = ProcessedEvent.__table__  # type: ignore[assignment]
INBOX: Table = InboxUpdate.__table__  # type: ignore[assignment]

NOW = datetime(2026, 3, 29, 18, 0, tzinfo=UTC)


def _participant(i: int) -> dict:
    return {"code": f"P-{i:04d}", "channel": "test", "chat_id": str(i), "language": "en",
            "timezone": "Europe/Stockholm", "status": "active", "paused": False, "unreachable": False,
            "start_date": date(2026, 3, 2), "position": {}, "next_due_at": NOW, "created_at": NOW,
            "updated_at": NOW}  # fmt: skip


def _state(pid: int, i: int) -> dict:
    # Mixed zones and a repeated instant: the bulk path converts repeated values once.
    due = (NOW + timedelta(days=i)).astimezone(ZoneInfo("America/New_York")) if i % 2 else None
    return {"pid": pid, "code": f"P-{i:04d}", "status": "active" if i % 3 else "completed", "paused": bool(i % 2),
            "start_date": date(2026, 3, 2) + timedelta(days=i), "language": "en", "timezone": "Europe/Stockholm",
            "position": {"finished": ["welcome"], "log": {"w": {"n": [i, 2.5, None]}}, "note": "Smärta ✓"},
            "next_due_at": due, "updated_at": NOW}  # fmt: skip


def _message(pid: int, i: int) -> dict:
    return {"participant_id": pid, "channel": "test", "chat_id": str(i), "payload": {"text": f"Hej {i} – ä"},
            "status": "pending", "attempts": 0, "not_before": NOW, "dedup_key": f"k:{i}", "created_at": NOW,
            "priority": 1}  # fmt: skip


async def _written(db: Database, write) -> tuple[list[dict], list[dict]]:
    async with db.engine.begin() as conn:
        await conn.execute(PARTICIPANTS.delete())
        await conn.execute(OUTBOX.delete())
        await conn.execute(PARTICIPANTS.insert(), [_participant(i) for i in range(6)])
        ids = (await conn.scalars(select(PARTICIPANTS.c.id).order_by(PARTICIPANTS.c.id))).all()
    await db.run_write(lambda conn: write(conn, ids))
    async with db.engine.connect() as conn:
        # As stored, not as read back: SQL compares the stored text (``next_due_at <= :now`` on SQLite).
        people = (await conn.exec_driver_sql(f"SELECT {_columns(PARTICIPANTS)} FROM participants ORDER BY code")).all()
        messages = (await conn.exec_driver_sql(f"SELECT {_columns(OUTBOX)} FROM outbox ORDER BY dedup_key")).all()
    return _without_ids(people), _without_ids(messages)


def _columns(table) -> str:
    """Every column as text (PostgreSQL's JSON and times included), so both databases show what they hold."""
    return ", ".join(f"CAST({c.name} AS TEXT) AS {c.name}" for c in table.c)


def _without_ids(rows) -> list[dict]:
    return [{k: v for k, v in r._mapping.items() if k not in ("id", "participant_id")} for r in rows]


async def test_bulk_writes_the_same_rows_as_sqlalchemy(db: Database) -> None:
    def by_sqlalchemy(conn, ids):
        conn.execute(UPDATE_STATE, [_state(pid, i) for i, pid in enumerate(ids)])
        conn.execute(statements(conn.dialect.name).outbox, [_message(pid, i) for i, pid in enumerate(ids)])

    def by_bulk(conn, ids):
        bulk.executemany(conn, UPDATE_STATE, [_state(pid, i) for i, pid in enumerate(ids)])
        bulk.executemany(conn, statements(conn.dialect.name).outbox, [_message(pid, i) for i, pid in enumerate(ids)])

    def by_bulk_encoded(conn, ids):  # the JSON made ahead, as a sweep's workers do (``bulk.encode``)
        states = [_state(pid, i) for i, pid in enumerate(ids)]
        messages = [_message(pid, i) for i, pid in enumerate(ids)]
        bulk.executemany(conn, UPDATE_STATE, [s | {"position": bulk.encode(s["position"])} for s in states])
        outbox = statements(conn.dialect.name).outbox
        bulk.executemany(conn, outbox, [m | {"payload": bulk.encode(m["payload"])} for m in messages])

    expected = await _written(db, by_sqlalchemy)
    assert await _written(db, by_bulk) == expected
    assert await _written(db, by_bulk_encoded) == expected
    people, messages = expected
    assert len(people) == 6 and len(messages) == 6
    assert messages[0]["parts_sent"] == "0"  # parts_sent: the column's default, as SQLAlchemy fills it in


async def test_a_sweeps_writes_store_what_sqlalchemy_stores(db: Database) -> None:
    """The sweep's own statements (``Writes``): ``executemany`` on SQLite, one statement over column
    arrays on PostgreSQL; a message already written (the same dedup key) is left alone, never an error."""
    from bot.storage.rows import OUTBOX_KEYS, SWEEP_STATE_KEYS
    from scheduler.sweep_ticks import Writes

    def by_sqlalchemy(conn, ids):
        conn.execute(UPDATE_STATE, [_state(pid, i) for i, pid in enumerate(ids)])
        conn.execute(statements(conn.dialect.name).outbox, [_message(pid, i) for i, pid in enumerate(ids)])

    def by_sweep(conn, ids):
        writes = Writes.for_dialect(conn.dialect)
        assert writes.state.columns == writes.outbox.columns == (conn.dialect.name == "postgresql")
        states = [_state(pid, i) | {"position": bulk.encode(_state(pid, i)["position"])} for i, pid in enumerate(ids)]
        writes.state.run(conn, [writes.state_params(*(s[k] for k in SWEEP_STATE_KEYS)) for s in states])
        messages = [_message(pid, i) for i, pid in enumerate(ids)]
        rows = [writes.outbox_params(*(m[k] for k in OUTBOX_KEYS)) for m in messages]
        writes.outbox.run(conn, rows)
        new = messages[0] | {"dedup_key": "k:new"}
        writes.outbox.run(conn, [*rows[:3], writes.outbox_params(*(new[k] for k in OUTBOX_KEYS))])

    expected_people, expected_messages = await _written(db, by_sqlalchemy)
    people, messages = await _written(db, by_sweep)
    assert people == expected_people
    assert messages[:-1] == expected_messages and messages[-1]["dedup_key"] == "k:new"


async def test_bulk_outbox_insert_ignores_a_duplicate_key(db: Database) -> None:
    def twice(conn, ids):
        rows = [_message(pid, i) for i, pid in enumerate(ids)]
        bulk.executemany(conn, statements(conn.dialect.name).outbox, rows)
        bulk.executemany(conn, statements(conn.dialect.name).outbox, rows)  # a no-op, never an exception

    _, messages = await _written(db, twice)
    assert len(messages) == 6


async def test_a_driver_error_is_raised_as_sqlalchemy_raises_it_and_nothing_is_kept(db: Database) -> None:
    """The fast path runs on the driver's cursor; a failing row still comes back as SQLAlchemy's own
    error (callers catch ``IntegrityError``), without the participant's words, and the transaction is
    rolled back whole."""

    def orphan(conn, ids):
        rows = [_message(ids[0], 1), _message(max(ids) + 100, 2) | {"payload": {"text": "my private words"}}]
        bulk.executemany(conn, statements(conn.dialect.name).outbox, rows)

    with pytest.raises(IntegrityError) as raised:
        await _written(db, orphan)
    assert "my private words" not in str(raised.value) and "hidden" in str(raised.value)
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(OUTBOX)) == 0


async def test_bulk_refuses_a_naive_datetime(db: Database) -> None:
    def naive(conn, ids):
        row = _state(ids[0], 0) | {"updated_at": NOW.replace(tzinfo=None)}
        bulk.executemany(conn, UPDATE_STATE, [row])

    with pytest.raises(ValueError, match="naive datetime"):
        await _written(db, naive)


def test_a_named_paramstyle_gets_each_value_under_its_own_name() -> None:
    """Drivers with named parameters (psycopg2's ``%(name)s``) get a dict; our two drivers take
    positions, so this is checked on the compiled statement alone, without a database."""
    from sqlalchemy.dialects.postgresql import psycopg2

    from bot.storage.rows import SWEEP_STATE, SWEEP_STATE_KEYS

    statement = bulk.prepare(SWEEP_STATE, SWEEP_STATE_KEYS, psycopg2.dialect())
    assert not statement.positional
    row = {"pid": 7, "status": "active", "paused": True, "start_date": None, "position": bulk.encode({"a": 1}),
           "next_due_at": None, "updated_at": None}  # fmt: skip
    assert statement.params(row) == {"status": "active", "paused": True, "start_date": None, "position": '{"a":1}',
                                     "next_due_at": None, "updated_at": None, "pid": 7}  # fmt: skip
    assert statement.maker(SWEEP_STATE_KEYS)(*row.values()) == statement.params(row)


def test_one_statement_over_arrays_is_only_written_for_asyncpg() -> None:
    """Its SQL numbers the parameters ``$1, $2, …``: another PostgreSQL driver keeps ``executemany``."""
    from sqlalchemy.dialects.postgresql import psycopg2

    from bot.storage.rows import SWEEP_STATE_KEYS
    from scheduler.sweep_ticks import Writes

    with pytest.raises(ValueError, match="asyncpg"):
        bulk.prepare_unnest(PARTICIPANTS, SWEEP_STATE_KEYS, psycopg2.dialect(), match=("pid", "id"))
    assert not Writes.for_dialect(psycopg2.dialect()).state.columns


@pytest.fixture
def plain_sqlalchemy():
    """The fallback (``storage_fast_path = false``) for one test: plain SQLAlchemy for every bulk write."""
    bulk.use_fast_path(False)
    yield
    bulk.use_fast_path(True)


def _every_bulk_write(conn, ids) -> None:
    """Each way the bot writes in bulk: an event's or a chunk's ``EffectRows``, a sweep's own statements
    (``Writes``), the inbox's and the processed events' insert-ignore, duplicates offered to each."""
    from bot.storage.rows import OUTBOX_KEYS, SWEEP_STATE_KEYS, EffectRows, record_event
    from scheduler.sweep_ticks import Writes

    rows = EffectRows(version="v")
    rows.states.extend(_state(pid, i) for i, pid in enumerate(ids[:3]))
    for i, pid in enumerate(ids[:3]):
        message = _message(pid, i)
        rows.message(pid, ("test", message["chat_id"]), message["payload"], NOW, message["dedup_key"])
        rows.message(pid, ("test", message["chat_id"]), message["payload"], NOW, message["dedup_key"])  # again
        rows.audit.append({"at": NOW, "participant_id": pid, "actor": "engine", "action": "seen", "detail": {"i": i}})
        rows.answers.append({"participant_id": pid, "module_id": "week01", "step_id": "diary", "field_id": "pain",
                             "entry_id": None if i else "e1", "value": [i, 2.5, "Smärta ✓"] if i else i,
                             "content_version": "v", "answered_at": NOW, "event_id": f"u{i}"})  # fmt: skip
    rows.flush(conn)
    writes = Writes.for_dialect(conn.dialect)
    states = [_state(pid, i) | {"position": bulk.encode(_state(pid, i)["position"])} for i, pid in enumerate(ids)]
    writes.state.run(conn, [writes.state_params(*(s[k] for k in SWEEP_STATE_KEYS)) for s in states[3:]])
    messages = [_message(pid, i) | {"payload": bulk.encode(_message(pid, i)["payload"])} for i, pid in enumerate(ids)]
    writes.outbox.run(conn, [writes.outbox_params(*(m[k] for k in OUTBOX_KEYS)) for m in messages])
    recorded = []
    for _ in range(2):
        conn.execute(bulk.insert_ignore(conn.dialect.name, INBOX),
                     {"update_id": 7, "payload": {"message": {"text": "hej ✓"}}, "attempts": 0, "received_at": NOW})  # fmt: skip
        recorded.append(record_event(conn, {"channel": "test", "event_id": "u7", "participant_id": ids[0],
                                            "processed_at": NOW}))  # fmt: skip
    assert recorded == [True, False], "an event id is recorded once; offered again, it says so"


async def _every_table(db: Database) -> dict[str, list[dict]]:
    async with db.engine.connect() as conn:
        stored = {}
        for table in (PARTICIPANTS, OUTBOX, AUDIT, ANSWERS, EVENTS, INBOX):
            rows = await conn.exec_driver_sql(f"SELECT {_columns(table)} FROM {table.name}")
            stored[table.name] = sorted(_without_ids(rows.all()), key=lambda row: tuple(map(str, row.values())))
        return stored


async def _stored_after_every_bulk_write(db: Database) -> dict[str, list[dict]]:
    await _written(db, _every_bulk_write)
    stored = await _every_table(db)
    async with db.engine.begin() as conn:
        for table in (AUDIT, ANSWERS, EVENTS, INBOX):
            await conn.execute(table.delete())
    return stored


async def test_the_fallback_to_plain_sqlalchemy_stores_the_same_rows(db: Database, plain_sqlalchemy) -> None:
    from bot.storage.rows import SWEEP_STATE
    from scheduler.sweep_ticks import Writes

    writes = Writes.for_dialect(db.engine.dialect)
    assert writes.state.plain is SWEEP_STATE and not writes.state.columns, "the sweep writes through SQLAlchemy"
    plain = await _stored_after_every_bulk_write(db)
    bulk.use_fast_path(True)
    assert Writes.for_dialect(db.engine.dialect).state.plain is None
    fast = await _stored_after_every_bulk_write(db)
    assert plain == fast
    assert [len(plain[t.name]) for t in (PARTICIPANTS, OUTBOX, AUDIT, ANSWERS, EVENTS, INBOX)] == [6, 6, 3, 3, 1, 1]


def test_the_fallback_uses_the_dialects_own_insert_ignore_and_generates_no_code(plain_sqlalchemy) -> None:
    from sqlalchemy.dialects import sqlite

    from bot.storage.rows import SWEEP_STATE_KEYS

    outbox = statements("sqlite").outbox
    assert outbox._generate_cache_key() is None  # SQLAlchemy's own on_conflict_do_nothing(): never cached
    with pytest.raises(ValueError, match="fast path is off"):
        bulk.prepare_unnest(PARTICIPANTS, SWEEP_STATE_KEYS, sqlite.dialect(), match=("pid", "id"))
    dialect, keys, row = sqlite.dialect(), ("after", "now", "chunk"), {"after": 3, "now": NOW, "chunk": 10}
    due = bulk.prepare(statements("sqlite").due_raw, keys, dialect)  # a read: its SQL as it is, made without exec
    assert not due.generated
    bulk.use_fast_path(True)
    generated = bulk.prepare(statements("sqlite").due_raw, keys, dialect)
    assert generated.generated and generated.sql == due.sql
    assert due.params(row) == generated.params(row) == (3, NOW.strftime("%Y-%m-%d %H:%M:%S.%f"), 10, 0)
