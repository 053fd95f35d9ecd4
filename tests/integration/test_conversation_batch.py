"""Several events of one chat in one transaction (``bot/conversation/batch.py``): what is stored is
what the same events handled one by one store, a redelivered event id does nothing, and a batch stops
after an event that asked the trial for something, which is then done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot.bootstrap import conversation_service
from bot.conversation.batch import SoFar, handle_batch
from bot.conversation.service import ConversationService
from bot.engine import Inbound
from bot.features import build_engine
from bot.storage.database import Database
from bot.storage.models import Answer, AuditEntry, OutboxMessage, Participant, ProcessedEvent
from bot.storage.rows import state_from_row
from bot.storage.tables_trial import TrialRequestRow
from tests.conftest import fresh_database

START = Inbound(kind="command", text="start")
CHAT = "c1"


def make_service(db, programme, clock, on_trial=None) -> ConversationService:
    return conversation_service(db, build_engine(programme), clock, timezone="Europe/Stockholm", language="en",
                               staff_target=("test", "staff"), on_trial=on_trial)  # fmt: skip


def answer_to(reply: dict[str, Any] | None) -> Inbound:
    """A fixed rule for a person who answers whatever the bot last sent: its first button, else a number."""
    buttons = [b for row in (reply or {}).get("buttons") or [] for b in row if b["label"] != "Skip"]
    return Inbound(kind="choice", text=buttons[0]["data"]) if buttons else Inbound(kind="text", text="3")


async def stored(db: Database) -> dict[str, Any]:
    """Everything a chat left behind, without ids and times that differ between two databases by nature."""
    async with db.reading() as session:
        person = await session.scalar(select(Participant))
        answers = (await session.execute(
            select(Answer.module_id, Answer.step_id, Answer.field_id, Answer.entry_id, Answer.value, Answer.event_id)
            .order_by(Answer.id)
        )).all()  # fmt: skip
        outbox = list(await session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id)))
        audit = (await session.execute(select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id))).all()
        events = list(await session.scalars(select(ProcessedEvent.event_id).order_by(ProcessedEvent.event_id)))
    assert person is not None
    entries: dict[str | None, int] = {}  # a diary entry's id is drawn at random: compared by its order
    answers = [(*a[:3], entries.setdefault(a.entry_id, len(entries)) if a.entry_id else None, *a[4:]) for a in answers]
    return {"position": person.position, "status": person.status, "next_due_at": person.next_due_at,
            "answers": answers, "outbox": outbox, "audit": audit, "events": events}  # fmt: skip


async def test_a_batch_stores_what_the_same_answers_one_by_one_store(programme, clock, tmp_path: Path) -> None:
    """Forty answers, each to the bot's last reply: handled one by one (a transaction each) and in one
    batch, on two fresh databases at the same moment; the stored rows are the same."""
    one_db = await fresh_database("sqlite", tmp_path / "one")
    batch_db = await fresh_database("sqlite", tmp_path / "batch")
    try:
        one = make_service(one_db, programme, clock)
        last: dict[str, Any] | None = None
        for n in range(40):
            await one.handle("test", CHAT, f"e{n}", START if n == 0 else answer_to(last))
            async with one_db.reading() as session:
                last = await session.scalar(select(OutboxMessage.payload).order_by(OutboxMessage.id.desc()).limit(1))

        batch = make_service(batch_db, programme, clock)
        counter = iter(range(40))

        def upcoming(conn: Connection, so_far: SoFar) -> tuple[str, Inbound] | None:
            n = next(counter, None)
            if n is None:
                return None
            return f"e{n}", START if n == 0 else answer_to(so_far.replies[-1] if so_far.replies else None)

        result = await handle_batch(batch, "test", CHAT, upcoming)
        assert (result.events, result.asked_trial) == (40, False)
        alone, together = await stored(one_db), await stored(batch_db)
        assert len(alone["answers"]) >= 10, "the answers reached questions that store answers"
        assert together == alone
    finally:
        await one_db.dispose()
        await batch_db.dispose()


async def test_a_redelivered_event_in_a_batch_does_nothing(db, programme, clock) -> None:
    service = make_service(db, programme, clock)
    await service.handle("test", CHAT, "e0", START)
    sent = iter([("e0", START), ("e1", Inbound(kind="text", text="hello"))])
    result = await handle_batch(service, "test", CHAT, lambda conn, so_far: next(sent, None))
    assert result.events == 2
    async with db.reading() as session:
        events = list(await session.scalars(select(ProcessedEvent.event_id).order_by(ProcessedEvent.event_id)))
    assert events == ["e0", "e1"]


async def test_a_batch_ends_after_an_event_that_asks_the_trial_and_the_request_is_done(db, programme, clock) -> None:
    """``/mydata`` asks for a copy of the participant's data: the batch commits right after it, the
    request is done then (as ``handle`` does it), and the event the caller had next is not asked for."""
    done: list[int] = []

    async def on_trial(session, participant_id, request) -> None:
        done.append(participant_id)

    service = make_service(db, programme, clock, on_trial=on_trial)
    script = iter(
        [("e0", START), ("e1", Inbound(kind="command", text="mydata")), ("e2", Inbound(kind="text", text="hi"))]
    )
    result = await handle_batch(service, "test", CHAT, lambda conn, so_far: next(script, None))
    assert (result.events, result.asked_trial) == (2, True)
    assert next(script) == ("e2", Inbound(kind="text", text="hi")), "not asked for in the batch"
    async with db.reading() as session:
        requests = list(await session.scalars(select(TrialRequestRow)))
        events = list(await session.scalars(select(ProcessedEvent.event_id)))
    assert [(r.kind, r.status) for r in requests] == [("mydata", "done")]
    assert done == [requests[0].participant_id] and sorted(events) == ["e0", "e1"]


async def test_a_batch_starts_from_the_stored_participant_read_once(db, programme, clock) -> None:
    """The first ``next_event`` of a batch gets the participant as stored (the batch's one read of
    them), or no participant for a chat that has none yet."""
    service = make_service(db, programme, clock)
    seen: list[SoFar] = []

    def look(conn: Connection, so_far: SoFar) -> tuple[str, Inbound] | None:
        seen.append(so_far)
        return None

    await handle_batch(service, "test", CHAT, look)
    await service.handle("test", CHAT, "e0", START)
    await handle_batch(service, "test", CHAT, look)
    state, _ = await stored_state(db, service)
    assert [(s.start, s.target is None, s.state, s.replies) for s in seen] == [(True, True, None, []),
                                                                            (True, False, state, [])]  # fmt: skip
    assert seen[1].target is not None and seen[1].target.code == state.code


def sitting(count: int):
    """The events of ``answer_to``'s person: ``/start``, then an answer to each last reply."""
    counter = iter(range(count))

    def upcoming(conn: Connection, so_far: SoFar) -> tuple[str, Inbound] | None:
        n = next(counter, None)
        if n is None:
            return None
        return f"e{n}", START if n == 0 else answer_to(so_far.replies[-1] if so_far.replies else None)

    return upcoming


async def stored_state(db: Database, service: ConversationService):
    async with db.reading() as session:
        person = await session.scalar(select(Participant))
    assert person is not None
    return state_from_row(person), person.next_due_at


async def test_a_sitting_asks_for_the_next_due_time_at_its_first_answer_and_its_end_and_stores_the_one_of_its_state(
    db, programme, clock, monkeypatch
) -> None:
    service = make_service(db, programme, clock)
    asked: list[str] = []
    real = service.engine.next_due
    monkeypatch.setattr(service.engine, "next_due", lambda state, now: asked.append(state.code) or real(state, now))
    await handle_batch(service, "test", CHAT, sitting(40))
    assert len(asked) == 2, "at the first answer and when the rows are written, not once per answer"
    state, due = await stored_state(db, service)
    assert state.status == "active" and due is not None
    assert due.replace(tzinfo=None) == real(state, clock.now()).replace(tzinfo=None)


async def test_an_event_that_fails_after_changing_the_state_leaves_the_earlier_state_and_its_due_time(
    db, programme, clock, monkeypatch
) -> None:
    """The engine changes the state in place; an event that fails half-way has changed it already.
    The stored row is the state of the last event that went through, with that state's due time."""
    service = make_service(db, programme, clock)
    real_handle, real_due = service.engine.handle, service.engine.next_due

    def handle(state, inbound, now, past=()):
        if inbound.text == "break":
            state.status, state.frames = "completed", []  # half-way through, then the failure
            raise RuntimeError("a bug in a step")
        return real_handle(state, inbound, now, past)

    monkeypatch.setattr(service.engine, "handle", handle)
    events = sitting(30)

    def script(conn: Connection, so_far: SoFar) -> tuple[str, Inbound] | None:
        if (upcoming := events(conn, so_far)) is not None:
            return upcoming
        return ("e-break", Inbound(kind="text", text="break")) if so_far.state is not None else None

    await handle_batch(service, "test", CHAT, script)
    state, due = await stored_state(db, service)
    assert state.status == "active" and state.frames, "the failed event's change is not stored"
    assert due is not None and due.replace(tzinfo=None) == real_due(state, clock.now()).replace(tzinfo=None)
    async with db.reading() as session:
        person = await session.scalar(select(Participant))
    assert person is not None and person.quarantined_at is not None


async def test_a_state_that_cannot_be_scheduled_is_quarantined_at_the_first_answer_of_a_sitting(
    db, programme, clock
) -> None:
    """The next due time is worked out at once for a sitting's first answer: a stored time zone that
    does not exist quarantines that participant, the sitting's words are relayed, nothing fails."""
    service = make_service(db, programme, clock)
    await handle_batch(service, "test", CHAT, sitting(40))  # active: their next due time is local
    async with db.transaction() as session:
        person = await session.scalar(select(Participant))
        assert person is not None
        person.timezone = "Mars/Olympus_Mons"
    script = iter([("later-1", Inbound(kind="text", text="hello"))])
    result = await handle_batch(service, "test", CHAT, lambda conn, so_far: next(script, None))
    assert result.events == 1
    async with db.reading() as session:
        person = await session.scalar(select(Participant))
        quarantined = list(await session.scalars(select(AuditEntry.action).where(AuditEntry.action == "quarantined")))
    assert person is not None and person.quarantined_at is not None and quarantined == ["quarantined"]
