"""The trial's data written through the trial service: screening answers, participants at each stage of the trial."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select, update

from bot.measures.scoring import score
from bot.measures.store import store_score
from bot.storage.database import Database
from bot.storage.models import AuditEntry, Consent, Participant
from bot.storage.repository import Repository
from bot.trial.service import TrialService
from tests.conftest import fresh_database

APPLIED = date(2026, 4, 10)


def good_answers(**changes: object) -> dict[str, object]:
    answers: dict[str, object] = {
        "age": 40, "sex": "female", "internet": True, "physician": True, "pain_region": "lower_back",
        "pain_since": "2025-01-01", "work": "employed", "wheelchair": False, "surgery_planned": False,
        "heart_disease": False, "contact": "phone, evenings",
        "phq9": {f"q{i}": 0 for i in range(1, 10)},
    }  # fmt: skip
    answers.update(changes)
    return answers


SEED = b"test-seed-0123456789abcdef"


async def new_participant(db, clock, chat: str, **answers: object) -> int:
    async with db.transaction() as session:
        row = await Repository(session, False).create_participant("test", chat, "en", "Europe/Stockholm", clock.now())
        return row.id


async def agree(db, clock, participant_id: int) -> None:
    """What the engine's consent step writes when the participant taps "I agree"."""
    async with db.transaction() as session:
        session.add(Consent(participant_id=participant_id, version="v", agreed=True, content_version="x",
                            at=clock.now()))  # fmt: skip


async def ready_for_draw(db, clock, trial: TrialService, chat: str, **changes: object) -> int:
    pid = await new_participant(db, clock, chat)
    assert (await trial.apply(pid, good_answers(**changes))).eligible
    await trial.interviewed(f"P-{pid:04d}", "include", None, by="therapist:1")
    await agree(db, clock, pid)
    return pid


async def count(db, model, *where) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def _position(db, pid: int, **position: object) -> None:
    async with db.transaction() as session:
        row = await session.get(Participant, pid)
        row.position = {**(row.position or {}), **position}


async def build_every_path(db, programme, clock) -> dict[str, int]:
    """One person per path, written through the trial service; returns path -> participant id."""
    trial = TrialService(db, programme, clock, seed=SEED)
    ids: dict[str, int] = {}
    ids["not_eligible"] = await new_participant(db, clock, "ne")
    await trial.apply(ids["not_eligible"], good_answers(age=17))
    ids["excluded"] = await new_participant(db, clock, "ex")
    await trial.apply(ids["excluded"], good_answers())
    await trial.interviewed(f"P-{ids['excluded']:04d}", "exclude", "prefers face to face", by="therapist:1")
    ids["declined"] = await new_participant(db, clock, "de")
    await trial.apply(ids["declined"], good_answers())
    await trial.interviewed(f"P-{ids['declined']:04d}", "include", None, by="therapist:1")
    async with db.transaction() as session:
        session.add(Consent(participant_id=ids["declined"], version="v", agreed=False, content_version="x",
                            at=clock.now()))  # fmt: skip
        await session.execute(update(Participant).where(Participant.id == ids["declined"]).values(status="declined"))
    ids["to_interview"] = await new_participant(db, clock, "ti")
    await trial.apply(ids["to_interview"], good_answers())
    phq9 = programme.instruments["phq9"]
    for path in ("withdrawn", "withdrawn_removed", "lost", "completed", "crossed_over", "ongoing"):
        ids[path] = await ready_for_draw(db, clock, trial, path, sex="male" if path == "crossed_over" else "female")
        await trial.allocate(ids[path])
        async with db.transaction() as session:
            await session.execute(update(Participant).where(Participant.id == ids[path]).values(status="active"))
            await store_score(session, ids[path], "baseline", "phq9", score(phq9, {f"q{i}": 1 for i in range(1, 10)}),
                              programme.version, clock.now())  # fmt: skip
    await trial.withdraw(f"P-{ids['withdrawn']:04d}", may_use_data=True, by="participant")
    await trial.withdraw(f"P-{ids['withdrawn_removed']:04d}", may_use_data=False, by="participant")
    async with db.transaction() as session:
        await session.execute(update(Participant).where(Participant.id == ids["lost"]).values(unreachable=True))
    await _position(db, ids["completed"], finished=["baseline", "post"])
    await _position(db, ids["crossed_over"], finished=["baseline", "post"], crossover="accepted")
    await agree(db, clock, ids["to_interview"])  # a stray consent row before an interview changes nothing
    return ids


async def populate(tmp_path, programme, clock) -> None:
    db = await fresh_database("sqlite", tmp_path)
    trial = TrialService(db, programme, clock, seed=SEED)
    ids = [await new_participant(db, clock, str(i)) for i in range(1, 6)]
    await trial.apply(ids[0], good_answers(age=17))
    await trial.apply(ids[1], good_answers(contact="ring 0701-555 after five"))
    for pid in ids[2:4]:
        await trial.apply(pid, good_answers())
        await trial.interviewed(f"P-{pid:04d}", "include", None, by="therapist:1")
        await agree(db, clock, pid)
        await trial.allocate(pid)
    await trial.withdraw("P-0004", may_use_data=True, by="participant")
    async with db.transaction() as session:
        await session.execute(update(Participant).where(Participant.id == ids[4]).values(unreachable=True))
    await db.dispose()


def audits(url: str, action: str) -> list[str]:
    async def read() -> list[str]:
        db = Database(url)
        try:
            async with db.reading() as session:
                return list(await session.scalars(select(AuditEntry.actor).where(AuditEntry.action == action)))
        finally:
            await db.dispose()

    return asyncio.run(read())
