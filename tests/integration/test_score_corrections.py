"""Correcting a closed questionnaire: a new, audited record beside the first score, which never changes;
the analysis and the export use the correction and say so (SQLite and PostgreSQL; the CLI on SQLite)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.app import app
from bot.measures.corrections import CorrectionRefused, correct_administration, parse_changes
from bot.measures.db_loader import load_dataset
from bot.measures.scoring import score
from bot.measures.store import store_score
from bot.storage.models import Answer, AuditEntry
from bot.storage.tables_measures import ScoreCorrection, ScoreRow
from tests.conftest import fresh_database, sqlite_url
from tests.support.trial import new_participant

FIRST = {f"q{i}": 1 for i in range(1, 10)} | {"q9": 0}  # total 8


async def scored_baseline(db, programme, clock) -> int:
    """P-0001 with a baseline PHQ-9 answered (one answer row per item) and scored, as the service stores it."""
    pid = await new_participant(db, clock, "1")
    async with db.transaction() as session:
        for item, value in FIRST.items():
            session.add(Answer(participant_id=pid, module_id="baseline", step_id="phq9", field_id=item, value=value,
                               content_version="v", answered_at=clock.now()))  # fmt: skip
        await store_score(session, pid, "baseline", "phq9", score(programme.instruments["phq9"], FIRST), "v",
                          clock.now())  # fmt: skip
    return pid


async def correct(db, programme, clock, *changes: str, reason: str = "tapped the wrong button, said on the phone"):
    async with db.transaction() as session:
        return await correct_administration(session, programme, "P-0001", "baseline.phq9", parse_changes(list(changes)),
                                            reason, "researcher:eva", clock.now())  # fmt: skip


async def test_a_correction_is_a_new_record_and_the_first_score_stays(db, programme, clock):
    await scored_baseline(db, programme, clock)
    async with db.reading() as session:
        before = [(s.total, s.subscales) for s in await session.scalars(select(ScoreRow))]
    row = await correct(db, programme, clock, "q3=3")
    assert (row.total, row.changed) == (10.0, {"q3": [1, 3]})
    again = await correct(db, programme, clock, "q4=0")  # a second correction starts from the first
    assert (again.total, again.answers["q3"], again.changed) == (9.0, 3, {"q4": [1, 0]})
    async with db.reading() as session:
        assert [(s.total, s.subscales) for s in await session.scalars(select(ScoreRow))] == before
        audit = [(a.actor, a.detail) for a in await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "score_corrected").order_by(AuditEntry.id))]  # fmt: skip
        assert len((await session.scalars(select(ScoreCorrection))).all()) == 2
    assert audit == [("researcher:eva", {"administration": "baseline.phq9", "changed": {"q3": [1, 3]}}),
                     ("researcher:eva", {"administration": "baseline.phq9", "changed": {"q4": [1, 0]}})]  # fmt: skip


async def test_the_analysis_uses_the_newest_correction_and_marks_it(db, programme, clock):
    await scored_baseline(db, programme, clock)
    dataset = await load_dataset(db, programme)
    total = next(s for s in dataset.scores if s.scale == "total")
    assert (total.value, total.corrected) == (8.0, False)
    await correct(db, programme, clock, "q3=3")
    await correct(db, programme, clock, "q9=1")
    total = next(s for s in (await load_dataset(db, programme)).scores if s.scale == "total")
    assert (total.value, total.corrected, total.module_id) == (11.0, True, "baseline")


@pytest.mark.parametrize(("changes", "reason", "said"), [
    (["q3=7"], "keyed in wrong", "answer 7 is outside 0..3"),
    (["q12=1"], "keyed in wrong", "no item 'q12'"),
    (["q3"], "keyed in wrong", "write each change as ITEM=NUMBER"),
    (["q3=1"], "keyed in wrong", "nothing to correct"),
    (["q3=2"], " ", "needs its reason"),
])  # fmt: skip
async def test_a_correction_that_cannot_be_made_is_refused_in_one_line(db, programme, clock, changes, reason, said):
    await scored_baseline(db, programme, clock)
    with pytest.raises(CorrectionRefused, match=said):
        await correct(db, programme, clock, *changes, reason=reason)
    async with db.reading() as session:
        assert (await session.scalars(select(ScoreCorrection))).all() == []


def test_icbt_participants_correct(tmp_path, monkeypatch, programme, clock):
    monkeypatch.setenv("ICBT_DATABASE_URL", sqlite_url(tmp_path))

    async def populate() -> None:
        db = await fresh_database("sqlite", tmp_path)
        await scored_baseline(db, programme, clock)
        await db.dispose()

    asyncio.run(populate())
    runner = CliRunner()
    done = runner.invoke(app, ["participants", "correct", "p-0001", "baseline.phq9", "q3=3", "--reason", "wrong button",
                               "--by", "researcher:eva"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "P-0001 baseline.phq9 corrected (q3 1 → 3); phq9 total now 10.0"
    refused = runner.invoke(app, ["participants", "correct", "P-0001", "post.phq9", "q3=3", "--reason", "x"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.output.strip() == "P-0001 has no scored administration 'post.phq9'"
