"""The trial service on real SQLite and PostgreSQL: application, interview gate, one allocation per
participant even under concurrent requests, withdrawal stopping every message, and the tables
agreeing with migration 0006."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from bot.engine import Inbound
from bot.errors import TrialStateError
from bot.storage.metadata import METADATA
from bot.storage.models import AuditEntry, OutboxMessage, Participant
from bot.storage.tables_trial import TrialAllocation, TrialApplication, TrialStratumCounter, TrialWithdrawal
from bot.trial.allocation import ArmWeight, sequence
from bot.trial.chain import Link, breaks
from bot.trial.commands import CommandRejected, Interviewed, parse_interviewed
from bot.trial.service import CHAIN, TrialService
from bot.trial.stage import may_see_consent
from tests.support.chat import CHAT, Driver
from tests.support.trial import SEED, agree, count, good_answers, new_participant, ready_for_draw


def test_parse_interviewed():
    assert parse_interviewed("p-0007 include") == Interviewed("P-0007", "include", None)
    assert parse_interviewed("P-0007 Exclude  severe depression ") == Interviewed(
        "P-0007", "exclude", "severe depression"
    )
    for bad, words in [("", "usage"), ("P-0007", "usage"), ("7 include", "participant code"),
                       ("P-0007 maybe", "include or exclude"), ("P-0007 exclude", "needs a reason")]:  # fmt: skip
        with pytest.raises(CommandRejected, match=words):
            parse_interviewed(bad)


async def test_models_and_migration_0006_agree(db):
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), METADATA))
    assert [d for d in diff if "trial" in str(d)] == []


async def test_application_is_stored_and_eligible_applicants_wait_for_the_interview(db, clock, trial):
    pid = await new_participant(db, clock, "1")
    result = await trial.apply(pid, good_answers(contact="0701234567 after 5pm"))
    assert result.eligible
    assert await trial.stage(pid) == "to_interview"
    waiting = await trial.to_interview(by="therapist:1")
    assert [(w.code, w.contact) for w in waiting] == [("P-0001", "0701234567 after 5pm")]
    async with db.reading() as session:
        app = (await session.scalars(select(TrialApplication))).one()
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "staff_read"))).one()
    assert (app.status, app.eligible, app.applied_on.isoformat()) == ("to_interview", True, "2026-01-05")
    assert audit.actor == "therapist:1"


async def test_not_eligible_applicants_are_not_interviewed(db, clock, trial):
    pid = await new_participant(db, clock, "1")
    result = await trial.apply(pid, good_answers(age=17))
    assert [r.id for r in result.reasons] == ["age"]
    assert await trial.stage(pid) == "not_eligible"
    assert await trial.to_interview(by="t") == []
    with pytest.raises(TrialStateError, match="not_eligible"):
        await trial.interviewed("P-0001", "include", None, by="t")


async def test_no_consent_before_the_therapists_include_and_no_draw_before_consent(db, clock, trial):
    pid = await new_participant(db, clock, "1")
    await trial.apply(pid, good_answers())
    assert not may_see_consent(await trial.stage(pid))
    with pytest.raises(TrialStateError, match="to_interview"):
        await trial.allocate(pid)
    assert await trial.interviewed("P-0001", "exclude", "needs a pain clinic first", by="t") == "excluded"
    assert not may_see_consent(await trial.stage(pid))
    assert await trial.interviewed("P-0001", "include", None, by="t") == "consent"
    assert may_see_consent(await trial.stage(pid))
    with pytest.raises(TrialStateError, match="consent"):
        await trial.allocate(pid)
    await agree(db, clock, pid)
    assert await trial.stage(pid) == "allocate"
    assert (await trial.allocate(pid)).arm in ("treatment", "waiting_list")
    assert await trial.stage(pid) == "allocated"


async def test_allocation_is_written_once_and_the_participant_is_told_once(db, clock, trial, sender, transport):
    pid = await ready_for_draw(db, clock, trial, "1")
    first = await trial.allocate(pid)
    again = await trial.allocate(pid)
    assert first.new and not again.new
    assert (first.arm, first.allocated_on) == (again.arm, again.allocated_on)
    await sender.drain()
    told = trial.spec.arm(first.arm).told
    assert transport.texts("1") == [told]
    assert await count(db, TrialAllocation) == 1
    assert await count(db, AuditEntry, AuditEntry.action == "allocated") == 1


async def test_two_concurrent_allocations_of_one_participant_give_one_allocation(db, clock, trial):
    pid = await ready_for_draw(db, clock, trial, "1")
    results = await asyncio.gather(*(trial.allocate(pid) for _ in range(4)))
    assert len({r.arm for r in results}) == 1
    assert sorted(r.new for r in results) == [False, False, False, True]
    assert await count(db, TrialAllocation) == 1
    async with db.reading() as session:
        counter = (await session.scalars(select(TrialStratumCounter).where(TrialStratumCounter.stratum != CHAIN))).one()
    assert (counter.stratum, counter.next_index) == ("sex=female", 1)


async def test_concurrent_draws_follow_the_auditors_sequence_per_stratum(db, clock, trial):
    pids = [await ready_for_draw(db, clock, trial, str(i), sex="male" if i % 3 else "female") for i in range(12)]
    await asyncio.gather(*(trial.allocate(pid) for pid in pids))
    async with db.reading() as session:
        rows = (await session.scalars(select(TrialAllocation).order_by(TrialAllocation.sequence_index))).all()
    weights = [ArmWeight(a.id, a.weight) for a in trial.spec.arms]
    for stratum in ("sex=male", "sex=female"):
        mine = [r for r in rows if r.stratum == stratum]
        assert [r.sequence_index for r in mine] == list(range(len(mine)))
        assert [r.arm for r in mine] == sequence(
            SEED, weights, trial.spec.block_sizes, stratum, len(mine), trial.spec.max_imbalance
        )
    assert sum(Counter(r.stratum for r in rows).values()) == 12
    chain = [Link(r.id, r.participant_id, r.arm, r.stratum, r.sequence_index, r.allocated_on, r.prev_hash, r.hash)
             for r in sorted(rows, key=lambda r: r.id)]  # fmt: skip
    assert breaks(chain) == [], "concurrent draws still make one chain"


async def test_withdrawal_stops_every_message_at_once_and_tells_staff(db, clock, service, trial, sender, transport):
    driver = Driver(service, sender, transport)
    await driver.through_consent()
    before = len(transport.texts(CHAT))
    await service.handle("test", CHAT, "9001", Inbound(kind="command", text="menu"))  # a reply now pending
    assert await count(db, OutboxMessage, OutboxMessage.status == "pending") >= 1
    assert await trial.withdraw("P-0001", may_use_data=False, by="participant") is True
    assert await trial.withdraw("P-0001", may_use_data=True, by="participant") is False  # once
    await sender.drain()
    assert transport.texts(CHAT)[before:] == [trial.programme.msg("en", "trial.withdrawn_removed")]
    assert transport.texts("staff")[-1] == "P-0001 has withdrawn from the study. Data already given may NOT be used."
    clock.advance(timedelta(weeks=3))
    assert await service.tick_due() == 0  # nothing is due for a withdrawn participant
    await sender.drain()
    assert transport.texts(CHAT)[before:] == [trial.programme.msg("en", "trial.withdrawn_removed")]
    async with db.reading() as session:
        row = (await session.scalars(select(Participant))).one()
        withdrawal = (await session.scalars(select(TrialWithdrawal))).one()
    assert (row.status, row.next_due_at) == ("withdrawn", None)
    assert (withdrawal.may_use_data, withdrawal.by, withdrawal.at) == (
        False,
        "participant",
        clock.now() - timedelta(weeks=3),
    )
    assert await count(db, AuditEntry, AuditEntry.action == "withdrawn", AuditEntry.actor == "participant") == 1


@pytest.mark.slow
async def test_allocation_is_serialised_across_processes_on_sqlite(tmp_path, programme, clock, sender):
    """Three processes draw 18 allocations at once on one SQLite file: every call returns, each stratum's
    indexes run without a gap in the auditor's sequence, and the chain is unbroken."""
    from tests.conftest import fresh_database
    from tests.support.processes import start

    db = await fresh_database("sqlite", tmp_path)
    trial = TrialService(db, programme, clock, seed=SEED, staff_target=("test", "staff"), wake_sender=sender.wake.set)
    pids = [await ready_for_draw(db, clock, trial, str(i), sex="male" if i % 3 else "female") for i in range(18)]
    url = f"sqlite+aiosqlite:///{tmp_path / 'icbt.sqlite3'}"
    workers = [await start("tests.support.allocating", url, SEED.decode(), *map(str, pids[i::3])) for i in range(3)]
    outputs = [await w.communicate() for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], [err.decode()[-2000:] for _, err in outputs]
    assert [out.decode().strip() for out, _ in outputs] == ["drawn 6"] * 3
    async with db.reading() as session:
        rows = (await session.scalars(select(TrialAllocation).order_by(TrialAllocation.id))).all()
    weights = [ArmWeight(a.id, a.weight) for a in trial.spec.arms]
    assert len(rows) == 18
    for stratum in ("sex=male", "sex=female"):
        mine = sorted((r for r in rows if r.stratum == stratum), key=lambda r: r.sequence_index)
        assert [r.sequence_index for r in mine] == list(range(len(mine)))
        assert [r.arm for r in mine] == sequence(
            SEED, weights, trial.spec.block_sizes, stratum, len(mine), trial.spec.max_imbalance
        )
    chain = [Link(r.id, r.participant_id, r.arm, r.stratum, r.sequence_index, r.allocated_on, r.prev_hash, r.hash)
             for r in rows]  # fmt: skip
    assert breaks(chain) == []
    await db.dispose()
