"""The relay's timed pass handles each item in its own transaction: one participant whose stored
record breaks is quarantined with one ERROR line and one alert, and everybody else's nudges and
URGENT repeats still go out in that same pass."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, text

from bot.engine import Inbound
from bot.engine.model import RelayRecord
from bot.storage.models import AuditEntry, Participant, RelayItem
from tests.support.relay import active_participant, insert_item, staff_texts


async def break_record(db, chat: str) -> None:
    """An admin's mistake in the database: the participant's record cannot be read as one any more."""
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE participants SET timezone = 'Nowhere/Atlantis', position = '[1]' "
                                "WHERE chat_id = :c"), {"c": chat})  # fmt: skip


async def test_one_broken_record_never_stops_the_others_reminders_in_the_same_pass(service, relay, clock, db, caplog):
    healthy = await active_participant(service, chat="4242")
    broken = await active_participant(service, chat="4343")
    async with db.transaction() as session:  # both past module 1's opening: each is due a week-2 call
        for row in (await session.scalars(select(Participant))).all():
            row.position = {**(row.position or {}), "announced": [relay.passes.first_module()]}
    await service.handle("test", healthy.chat_id, "q1", Inbound(kind="command", text="ask", args="Is walking ok?"))
    await insert_item(db, healthy, RelayRecord(source="safety:form", text="Risk phrase", kind="safety",
                                               data={"category": "x"}), clock.now())  # fmt: skip
    await relay.process_pending()
    await break_record(db, broken.chat_id)

    clock.advance(timedelta(hours=33, minutes=1))  # past the question's target and the URGENT repeat
    with caplog.at_level(logging.ERROR, logger="bot.relay"):
        await relay.sweep()  # one pass

    texts = await staff_texts(db)
    assert any(t.startswith(f"⏰ Anna: this question from {healthy.code}") for t in texts), "the nudge went out"
    assert any(t.startswith("🚨 URGENT, not yet acknowledged") for t in texts), "the URGENT repeat went out"
    assert any(f"{healthy.code}" in t and "📞" in t for t in texts), "the healthy participant's call task too"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and broken.code in errors[0].getMessage() and "quarantined" in errors[0].getMessage()
    async with db.reading() as session:
        rows = {p.code: p.quarantined_at for p in (await session.scalars(select(Participant))).all()}
        alerts = (await session.scalars(select(RelayItem).where(RelayItem.source == "system:relay"))).all()
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "quarantined"))).all()
    assert rows[broken.code] is not None and rows[healthy.code] is None
    assert len(alerts) == 1 and alerts[0].participant_id == broken.id and len(audit) == 1
    assert sum(broken.code in t and "paused by the system" in t for t in texts) == 1, "one alert, as plain text"

    caplog.clear()
    clock.advance(timedelta(hours=2))
    with caplog.at_level(logging.ERROR, logger="bot.relay"):
        await relay.sweep()  # the next pass: no new ERROR, no second alert for the same participant
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
