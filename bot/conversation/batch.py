"""Several events of one chat in one transaction, each decided exactly as ``handle`` decides it.

A caller that writes a chat's events one after another, each depending on what the bot answered to
the one before (the simulator's synthetic people, who read a reply and answer it), would otherwise
pay a transaction, a commit, a read of the participant and a hand-over per event. ``handle_batch``
runs them in ONE write transaction, the way the group-commit writer runs several events of one
participant that arrive together: the participant is read once, every event is recorded (its event
id, so a redelivered one does nothing) and decided by the engine on the batch's copy of the state
(``ConversationService.decide_event``: the same engine, scores, quarantine and trial requests as
``handle``), and the rows are written together at the end. ``next_event`` is asked for each event
and sees what the previous one left: the state and the replies. Nothing is written around the
service.

The batch ends when ``next_event`` returns None, after ``limit`` events, or right after an event
that asked something of the trial (an application to assess, a draw): that request is done after
the commit, as ``handle`` does it, so the caller's next batch sees its outcome. ``done(conn)`` runs
last inside the transaction, after the rows are written (the simulator marks the replies it read
as delivered). The participant's next due time is worked out at their first answer and once more
when the rows are written (``EffectRows``, ``AT_FLUSH``), not after every answer. If the transaction
fails (the database, or a state the sitting left impossible to schedule), none of the batch's events
is stored and the error reaches the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from bot.conversation.service import ConversationService, Event
from bot.engine import Inbound
from bot.engine.model import ParticipantState
from bot.storage.rows import Target, record_event, statements


@dataclass
class SoFar:
    """What the batch's last event left: the participant (None: the chat has none yet), their state
    and the bot's replies to it. Before the first event (``start``) it is the stored participant, read
    once for the whole batch, with no replies."""

    target: Target | None = None
    state: ParticipantState | None = None
    replies: list[dict[str, Any]] = field(default_factory=list)
    start: bool = False


# The chat's next event as (event id, inbound), decided inside the transaction; None: no more.
NextEvent = Callable[[Connection, SoFar], tuple[str, Inbound] | None]


@dataclass(frozen=True)
class BatchResult:
    events: int  # events given to the service (a redelivered event id among them did nothing)
    asked_trial: bool  # the batch ended after an event that asked the trial for something (now done)


async def handle_batch(
    service: ConversationService,
    channel: str,
    chat_id: str,
    next_event: NextEvent,
    limit: int = 300,
    language: str | None = None,
    done: Callable[[Connection], None] | None = None,
) -> BatchResult:
    """One chat's events, one after another, in one transaction; see the module docstring."""
    now = service.clock.now()
    key = (channel, chat_id)

    def run(conn: Connection) -> tuple[int, int | None]:
        sql = statements(conn.dialect.name)
        rows = service.effect_rows()
        people = service.stored(conn, sql, channel, [chat_id])
        so_far = SoFar(people[key][1], people[key][0], start=True) if key in people else SoFar(start=True)
        events, decided, asked = 0, 0, None
        while events < limit:
            upcoming = next_event(conn, so_far)
            if upcoming is None:
                break
            ev = Event(channel, chat_id, upcoming[0], upcoming[1], language, now)
            if key not in people:
                people = service.participants(conn, sql, [ev])
            target = people[key][1]
            recorded = record_event(conn, {"channel": channel, "event_id": ev.event_id, "processed_at": now,
                                           "participant_id": target.participant_id})  # fmt: skip
            events += 1
            if not recorded:  # this event id was handled before: nothing is done, as in ``handle``
                so_far = SoFar(target, people[key][0], [])
                continue
            (_, trial), effects = service.decide_event(conn, rows, people, ev, due_later=decided > 0)
            decided += 1
            so_far = SoFar(target, people[key][0], [out.to_payload() for out in effects.outbound])
            if trial:
                asked = target.participant_id
                break
            if so_far.state is None:  # quarantined: the state cannot be used, nothing more is decided
                break
        rows.flush(conn)
        if done is not None:
            done(conn)
        return events, asked

    events, asked = await service.db.run_write(run)
    if asked is not None and service.requests is not None:
        await service.requests.complete(asked)
    if events:
        service.wake_sender()
    return BatchResult(events, asked is not None)
