"""A participant's data: export for a subject-access request, erasure that leaves no trace of their
words in the database file, timed purges, and every staff access audited with who did it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.engine import Inbound
from bot.errors import TrialStateError
from bot.storage.models import AuditEntry, OutboxMessage, Participant
from bot.storage.tables_trial import TrialAllocation, TrialApplication
from bot.trial.privacy import PURGED, ParticipantData
from scheduler.jobs import PURGE_EVERY_SECONDS, build_scheduler, sweep_purge
from tests.support.chat import CHAT, Driver
from tests.support.stored import file_bytes, rows_holding
from tests.support.trial import agree, count, good_answers

MARKER = "Zebra-7731-swimming-question"


@pytest.fixture
def data(db, programme, clock) -> ParticipantData:
    return ParticipantData(db, programme, clock, retention_days=30, outbox_purge_days=7)


async def a_participant_who_wrote_the_marker(db, clock, service, trial, sender, transport) -> None:
    """Through the real engine and service: consent, a question to the therapist, an application, a draw."""
    driver = Driver(service, sender, transport)
    await driver.through_consent()
    await driver.send(Inbound(kind="command", text="ask", args=f"{MARKER} – is it OK? call 0701234567"))
    await trial.apply(1, good_answers(contact=f"{MARKER} mornings"))
    await trial.interviewed("P-0001", "include", f"{MARKER} seems motivated", by="therapist:1")
    await agree(db, clock, 1)
    await trial.allocate(1)
    await sender.drain()


async def test_export_holds_the_participants_own_data_and_is_audited(db, clock, service, trial, sender, transport,
                                                                     data):  # fmt: skip
    await a_participant_who_wrote_the_marker(db, clock, service, trial, sender, transport)
    exported = await data.export("P-0001", by="admin:alice")
    assert exported["code"] == "P-0001"
    assert exported["applications"][0]["contact"] == f"{MARKER} mornings"
    assert exported["applications"][0]["answers"]["age"] == 40
    assert exported["consents"][0]["agreed"] is True
    assert exported["allocation"]["arm"] in ("treatment", "waiting_list")
    assert MARKER in exported["messages_to_staff"][0]["text"]
    assert exported["answers"], "the welcome and consent answers are there"
    assert any("draw has been made" in (m["text"] or "") for m in exported["messages_from_bot"])
    assert "sequence_index" not in str(exported) and "stratum" not in exported["allocation"]
    assert await count(db, AuditEntry, AuditEntry.action == "export", AuditEntry.actor == "admin:alice") == 1


async def test_erase_leaves_no_trace_of_the_participants_words(db, clock, service, trial, sender, transport, data):
    await a_participant_who_wrote_the_marker(db, clock, service, trial, sender, transport)
    assert set(await rows_holding(db, MARKER)) >= {"relay_items", "trial_applications", "trial_interviews"}
    if db.is_sqlite:
        await db.vacuum()
        assert MARKER.encode() in file_bytes(db)  # the check below can see the text when it is there

    erasure = await data.erase("P-0001", by="admin:alice")

    assert await rows_holding(db, MARKER) == []
    assert await rows_holding(db, "0701234567") == []
    assert await rows_holding(db, CHAT) == []  # the chat id is gone from every row
    if db.is_sqlite:
        assert MARKER.encode() not in file_bytes(db)
        assert b"0701234567" not in file_bytes(db)
    assert erasure.kept == "allocation" and erasure.removed["relay_items"] == 1
    async with db.reading() as session:
        row = (await session.scalars(select(Participant))).one()
        allocation = (await session.scalars(select(TrialAllocation))).one()
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "erased"))).one()
    assert (row.code, row.status, row.chat_id) == ("P-0001", "erased", "erased-1")
    assert allocation.participant_id == row.id  # kept, pseudonymous, as the retention rule says
    assert audit.actor == "admin:alice"
    with pytest.raises(TrialStateError, match="no participant"):
        await data.export("P-0099", by="admin:alice")


async def test_erase_keeps_nothing_when_retention_says_so(db, clock, service, trial, sender, transport, programme):
    import dataclasses

    spec = programme.trial
    strict = dataclasses.replace(
        programme,
        trial=spec.model_copy(update={"retention": spec.retention.model_copy(update={"after_erasure": "nothing"})}),
    )
    await a_participant_who_wrote_the_marker(db, clock, service, trial, sender, transport)
    erasure = await ParticipantData(db, strict, clock, retention_days=30, outbox_purge_days=7).erase("P-0001", by="a")
    assert erasure.kept == "nothing"
    assert await count(db, TrialAllocation) == 0


async def test_purge_blanks_old_sent_payloads_and_old_applications_of_those_not_taken_in(db, clock, trial, data,
                                                                                          sender, service, transport):  # fmt: skip
    driver = Driver(service, sender, transport)
    await driver.through_consent()
    await trial.apply(1, good_answers(age=70, contact="call me"))
    sent_before = await count(db, OutboxMessage, OutboxMessage.status == "sent")
    assert await data.purge() == (0, 0)
    clock.advance(timedelta(days=8))
    await driver.send(Inbound(kind="command", text="menu"))  # a fresh message: not purged yet
    assert await data.purge() == (sent_before, 0)
    menu_replies = await count(db, OutboxMessage, OutboxMessage.status == "sent") - sent_before
    clock.advance(timedelta(days=23))
    assert await data.purge() == (menu_replies, 1)
    assert await data.purge() == (0, 0)  # nothing twice
    async with db.reading() as session:
        app = (await session.scalars(select(TrialApplication))).one()
        payloads = (await session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))).all()
    assert (app.answers, app.contact, app.eligible) == ({}, None, False)
    assert payloads == [PURGED] * len(payloads)


async def test_the_running_bot_schedules_the_purge_and_its_sweep_blanks_old_payloads(db, clock, data, sender, service,
                                                                                    transport):  # fmt: skip
    scheduler = build_scheduler(service, 60, purge=data.purge)
    job = scheduler.get_job("sweep_purge")
    assert job is not None and job.trigger.interval == timedelta(seconds=PURGE_EVERY_SECONDS)
    await Driver(service, sender, transport).send(Inbound(kind="command", text="start"))
    clock.advance(timedelta(days=8))
    await sweep_purge(data.purge)  # what the job runs
    async with db.reading() as session:
        payloads = (await session.scalars(select(OutboxMessage.payload))).all()
    assert payloads and payloads == [PURGED] * len(payloads)
