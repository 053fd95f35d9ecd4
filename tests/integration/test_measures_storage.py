"""The scores table on SQLite and PostgreSQL: stored per administration, replaced on re-scoring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from bot.content.programme import Programme
from bot.measures.scoring import score
from bot.measures.store import store_score
from bot.storage.database import Database
from bot.storage.metadata import METADATA
from bot.storage.tables_measures import ScoreRow
from tests.support.measures import AT, new_participant


async def test_a_score_is_stored_per_administration_and_never_replaced_once_closed(db: Database, programme: Programme):
    pid = await new_participant(db)
    phq9 = programme.instruments["phq9"]
    baseline = score(phq9, {f"q{i}": 2 for i in range(1, 8)})  # q8, q9 missing: prorated 14/7*9 = 18
    async with db.transaction() as session:
        await store_score(session, pid, "baseline", "phq9", baseline, programme.version, AT)
        await store_score(session, pid, "week04", "phq9", score(phq9, {f"q{i}": 1 for i in range(1, 10)}), "v", AT)
    async with db.reading() as session:
        rows = list(await session.scalars(select(ScoreRow).order_by(ScoreRow.id)))
    assert [(r.module_id, r.total, r.band) for r in rows] == [
        ("baseline", 18.0, "moderately severe"),
        ("week04", 9.0, "mild"),
    ]
    first = rows[0]
    assert (first.instrument, first.items_missing, first.prorated) == ("phq9", ["q8", "q9"], True)
    assert first.subscales == {"total": 18.0} and first.content_version == programme.version
    assert first.at == AT

    later = AT + timedelta(hours=1)
    async with db.transaction() as session:
        await store_score(
            session, pid, "baseline", "phq9", score(phq9, {f"q{i}": 0 for i in range(1, 10)}), "v2", later
        )
    async with db.reading() as session:
        rows = list(await session.scalars(select(ScoreRow).where(ScoreRow.module_id == "baseline")))
    assert [(r.total, r.content_version, r.at, r.prorated) for r in rows] == [(18.0, programme.version, AT, True)]


async def test_a_score_is_not_kept_when_the_callers_transaction_fails(db: Database, programme: Programme):
    pid = await new_participant(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await store_score(
                session,
                pid,
                "baseline",
                "pain_rating",
                score(programme.instruments["pain_rating"], {"average_week": 5}),
                "v",
                AT,
            )
            raise RuntimeError("the engine's turn failed")
    async with db.reading() as session:
        assert list(await session.scalars(select(ScoreRow))) == []


async def test_the_scores_migration_agrees_with_the_model(db: Database):
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), METADATA)
        )
    assert [d for d in diff if "scores" in repr(d)] == []
