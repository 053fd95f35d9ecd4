"""The relay's queries and writes over a session the caller's unit of work owns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.calendar import local_date
from bot.relay.model import RelayConfig
from bot.storage.audit import audit as write_audit
from bot.storage.models import (
    PRIORITY_BULK,
    PRIORITY_URGENT,
    Answer,
    OutboxMessage,
    Participant,
    ProcessedEvent,
    RelayItem,
)
from bot.storage.outbox import outbox_message
from bot.storage.tables_relay import RelayAssignment, RelayLog, RelayMessage, RelayTask, RelayTopic

STAFF_EVENTS = "tg-staff"  # processed_events channel for staff updates (idempotent like participants')
ANSWERABLE = ("question", "free", "report")
ALERTS = ("safety", "concern")  # open until /ack; listed above everything in /queue


def programme_start(row: Participant) -> date | None:
    """The day the participant's programme calendar counts from: the start date moved on by the days
    paused (as the participant's own calendar, ``bot.engine.reminders.programme_start``)."""
    if row.start_date is None:
        return None
    held = (row.position or {}).get("held_days") or 0
    return row.start_date + timedelta(days=int(held))


def programme_week(row: Participant, now: datetime) -> int | None:
    """Weeks since the participant started (week 0 = the first baseline week, as in Table I).

    Stored (``relay_log.week``) and compared with the modules' ``week`` as it is; staff read it as
    ``shown_week``, the number the participant sees ("week 3 of 12")."""
    start = programme_start(row)
    if start is None:
        return None
    return max(0, (local_date(now, row.timezone) - start).days // 7)


def shown_week(week: int | None) -> str:
    """A programme week as people count it, the same on both sides: week 0 is "week 1"."""
    return "?" if week is None else str(week + 1)


class RelayStore:
    def __init__(self, session: AsyncSession, config: RelayConfig, lock_rows: bool) -> None:
        self.session, self.config, self.lock_rows = session, config, lock_rows

    # -- events and audit --------------------------------------------------------------------
    async def seen(self, event_id: str) -> bool:
        found = await self.session.scalar(
            select(ProcessedEvent.id).where(ProcessedEvent.channel == STAFF_EVENTS, ProcessedEvent.event_id == event_id)
        )
        return found is not None

    def record(self, event_id: str, now: datetime) -> None:
        self.session.add(ProcessedEvent(channel=STAFF_EVENTS, event_id=event_id, participant_id=None, processed_at=now))

    def audit(self, participant_id: int | None, actor: str, action: str, now: datetime, **detail: Any) -> None:
        write_audit(self.session, at=now, participant_id=participant_id, actor=actor, action=action, detail=detail)

    def log(
        self, kind: str, now: datetime, participant: Participant | None, therapist: int | None, **values: Any
    ) -> None:
        week = programme_week(participant, now) if participant is not None else None
        self.session.add(RelayLog(at=now, participant_id=participant.id if participant else None,
                                  therapist_id=therapist, kind=kind, week=week, **values))  # fmt: skip

    # -- participants ---------------------------------------------------------------------------
    async def participant(self, participant_id: int) -> Participant | None:
        return await self.session.get(Participant, participant_id)

    async def participant_by_code(self, code: str) -> Participant | None:
        return await self.session.scalar(select(Participant).where(Participant.code == code.strip().upper()))

    async def participant_by_thread(self, thread_id: int) -> int | None:
        return await self.session.scalar(
            select(RelayTopic.participant_id).where(
                RelayTopic.thread_id == thread_id, RelayTopic.chat_id == self.config.staff_chat_id
            )
        )

    async def participant_by_reply(self, message_id: int) -> int | None:
        """The participant whose post (one of their questions, reports, messages or alerts) a
        therapist replied to; None for a reply to anything else the bot said."""
        return await self.session.scalar(
            select(RelayMessage.participant_id)
            .join(OutboxMessage, OutboxMessage.id == RelayMessage.outbox_id)
            .where(
                RelayMessage.direction == "staff",
                RelayMessage.item_id.is_not(None),
                OutboxMessage.chat_id == self.config.staff_chat_id,
                OutboxMessage.channel_message_id == str(message_id),
            )
        )

    async def latest_post_id(self, participant_id: int) -> int | None:
        """The staff group's message id of the participant's latest sent post (what a reply answers)."""
        found = await self.session.scalar(
            select(OutboxMessage.channel_message_id)
            .join(RelayMessage, RelayMessage.outbox_id == OutboxMessage.id)
            .where(RelayMessage.participant_id == participant_id, RelayMessage.direction == "staff",
                   RelayMessage.item_id.is_not(None), OutboxMessage.channel_message_id.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )  # fmt: skip
        return int(found) if found is not None and str(found).isdigit() else None

    async def topic_name(self, participant_id: int) -> str | None:
        return await self.session.scalar(select(RelayTopic.name).where(RelayTopic.participant_id == participant_id))

    # -- items ----------------------------------------------------------------------------------
    async def new_item_ids(self, limit: int) -> list[int]:
        rows = await self.session.scalars(
            select(RelayItem.id).where(RelayItem.stage == "new").order_by(RelayItem.id).limit(limit)
        )
        return list(rows)

    async def item_for_update(self, item_id: int) -> RelayItem | None:
        query = select(RelayItem).where(RelayItem.id == item_id)
        if self.lock_rows:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def open_items(self, participant_id: int | None = None) -> list[RelayItem]:
        query = select(RelayItem).where(
            RelayItem.status == "open", RelayItem.stage == "posted", RelayItem.kind.in_(ANSWERABLE)
        )
        if participant_id is not None:
            query = query.where(RelayItem.participant_id == participant_id)
        return list(await self.session.scalars(query.order_by(RelayItem.created_at, RelayItem.id)))

    async def close_items(self, participant_id: int, kind: str, now: datetime, therapist_id: int) -> int:
        """Close the participant's open items of ``kind`` (an interview task once it is recorded)."""
        items = await self.session.scalars(
            select(RelayItem).where(RelayItem.participant_id == participant_id, RelayItem.kind == kind,
                                    RelayItem.status == "open")
        )  # fmt: skip
        closed = 0
        for item in items:
            item.status, item.answered_at, item.answered_by = "closed", now, therapist_id
            closed += 1
        return closed

    async def open_alerts(self) -> list[RelayItem]:
        """Safety alerts nobody has acknowledged yet: URGENT first, then concern, oldest first."""
        query = select(RelayItem).where(
            RelayItem.status == "open", RelayItem.stage == "posted", RelayItem.kind.in_(ALERTS),
            RelayItem.acked_at.is_(None),
        )  # fmt: skip
        items = list(await self.session.scalars(query.order_by(RelayItem.created_at, RelayItem.id)))
        return sorted(items, key=lambda item: item.kind != "safety")

    async def paused_participants(self) -> list[Participant]:
        """Participants whose programme waits after an urgent hit (``held`` in their position)."""
        rows = await self.session.scalars(select(Participant).order_by(Participant.id))
        return [
            p for p in rows if isinstance(p.position, dict) and p.position.get("held")
        ]  # a broken one: not readable

    async def overdue_items(self, now: datetime) -> list[RelayItem]:
        query = select(RelayItem).where(
            RelayItem.status == "open", RelayItem.stage == "posted", RelayItem.due_at.is_not(None),
            RelayItem.due_at <= now, RelayItem.nudges < 2,
        )  # fmt: skip
        return list(await self.session.scalars(query.order_by(RelayItem.due_at)))

    async def urgent_to_repeat(self, now: datetime) -> list[RelayItem]:
        query = select(RelayItem).where(
            RelayItem.kind == "safety", RelayItem.stage == "posted", RelayItem.acked_at.is_(None),
            RelayItem.repeat_at.is_not(None), RelayItem.repeat_at <= now,
        )  # fmt: skip
        return list(await self.session.scalars(query.order_by(RelayItem.id)))

    async def unacked_urgent(self, participant_id: int) -> list[RelayItem]:
        """URGENT alerts not yet acknowledged, and other alerts still open (both end with /ack)."""
        query = select(RelayItem).where(
            RelayItem.participant_id == participant_id, RelayItem.kind.in_((*ALERTS, "alert")),
            RelayItem.stage == "posted", RelayItem.acked_at.is_(None), RelayItem.status == "open",
        )  # fmt: skip
        return list(await self.session.scalars(query))

    # -- assignment -----------------------------------------------------------------------------
    async def therapist_of(self, participant_id: int) -> int | None:
        return await self.session.scalar(
            select(RelayAssignment.therapist_id).where(RelayAssignment.participant_id == participant_id)
        )

    async def caseload(self) -> dict[int, int]:
        rows = await self.session.execute(
            select(RelayAssignment.therapist_id, func.count())
            .join(Participant, Participant.id == RelayAssignment.participant_id)
            .where(Participant.status.in_(("onboarding", "active")))
            .group_by(RelayAssignment.therapist_id)
        )
        return {int(tid): int(n) for tid, n in rows.all()}

    async def assign(self, participant_id: int, therapist_id: int, by: str, now: datetime) -> None:
        row = await self.session.get(RelayAssignment, participant_id)
        if row is None:
            self.session.add(RelayAssignment(participant_id=participant_id, therapist_id=therapist_id,
                                             assigned_at=now, assigned_by=by))  # fmt: skip
        else:
            row.therapist_id, row.assigned_at, row.assigned_by = therapist_id, now, by
        for item in await self.open_items(participant_id):
            item.assigned_to = therapist_id
        await self.session.flush()

    async def assignments(self, with_open: Collection[str] = ()) -> list[tuple[RelayAssignment, Participant]]:
        """Assigned participants who take part, and any other (withdrawn, completed) with something open."""
        rows = await self.session.execute(
            select(RelayAssignment, Participant)
            .join(Participant, Participant.id == RelayAssignment.participant_id)
            .where(or_(Participant.status.in_(("onboarding", "active")), Participant.code.in_(list(with_open))))
            .order_by(Participant.id)
        )
        return [(a, p) for a, p in rows.tuples()]

    async def unassigned_participants(self) -> list[Participant]:
        query = (
            select(Participant)
            .outerjoin(RelayAssignment, RelayAssignment.participant_id == Participant.id)
            .where(RelayAssignment.participant_id.is_(None), Participant.status == "active")
            .order_by(Participant.id)
        )
        return list(await self.session.scalars(query))

    # -- tasks ----------------------------------------------------------------------------------
    async def call_candidates(self, first_module: str) -> list[Participant]:
        """Active participants whose first treatment module has opened, without a call task yet.

        The week-2 call belongs to the start of treatment: for the treatment arm when module 1 opens,
        for the waiting list only once they have crossed over and module 1 opens for them."""
        query = (
            select(Participant)
            .outerjoin(RelayTask, and_(RelayTask.participant_id == Participant.id, RelayTask.kind == "call"))
            .where(RelayTask.id.is_(None), Participant.status == "active", Participant.start_date.is_not(None))
        )  # fmt: skip
        opened = []
        for p in await self.session.scalars(query):
            position = p.position or {}
            if first_module in position.get("announced", []) or first_module in position.get("finished", []):
                opened.append(p)
        return opened

    async def task(self, participant_id: int, kind: str) -> RelayTask | None:
        return await self.session.scalar(
            select(RelayTask).where(RelayTask.participant_id == participant_id, RelayTask.kind == kind)
        )

    async def open_task_counts(self) -> dict[int, int]:
        rows = await self.session.execute(
            select(RelayTask.therapist_id, func.count())
            .where(RelayTask.status == "open", RelayTask.therapist_id.is_not(None))
            .group_by(RelayTask.therapist_id)
        )
        return {int(t): int(n) for t, n in rows.all()}

    # -- time -----------------------------------------------------------------------------------
    async def minutes_this_week(self, participant_id: int, week: int | None) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(RelayLog.minutes), 0)).where(
                RelayLog.participant_id == participant_id, RelayLog.week == week,
                RelayLog.kind.in_(("time", "call")),
            )
        )  # fmt: skip
        return int(total or 0)

    # -- what the participant wrote, for reports and templates -----------------------------------
    async def goals(self, participant_id: int) -> list[str]:
        rows = await self.session.scalars(
            select(Answer.value).where(
                Answer.participant_id == participant_id, Answer.step_id == "goals", Answer.field_id == "goal"
            ).order_by(Answer.id)
        )  # fmt: skip
        return [str(v) for v in rows if isinstance(v, str) and v.strip()]

    async def diary_days(self, participant_id: int, now: datetime) -> dict[date, float | None]:
        """Days of the last week with a daily entry, and that day's average pain where given."""
        since = now - timedelta(days=7)
        rows = await self.session.execute(
            select(Answer.answered_at, Answer.field_id, Answer.value).where(
                Answer.participant_id == participant_id, Answer.answered_at >= since,
                or_(Answer.step_id.like("%diary%"), Answer.field_id == "average_pain"),
            )
        )  # fmt: skip
        days: dict[date, list[float]] = defaultdict(list)
        for at, field, value in rows.tuples():
            bucket = days[at.date()]
            if field == "average_pain" and isinstance(value, int | float):
                bucket.append(float(value))
        return {day: (sum(v) / len(v) if v else None) for day, v in days.items()}

    # -- failed deliveries ----------------------------------------------------------------------
    async def unreported_failures(self) -> list[tuple[RelayMessage, OutboxMessage]]:
        rows = await self.session.execute(
            select(RelayMessage, OutboxMessage)
            .join(OutboxMessage, OutboxMessage.id == RelayMessage.outbox_id)
            .where(RelayMessage.direction == "participant", RelayMessage.reported.is_(False),
                   OutboxMessage.status == "failed")
        )  # fmt: skip
        return [(m, o) for m, o in rows.tuples()]

    async def unreachable_unalerted(self) -> list[Participant]:
        alerted = select(RelayLog.participant_id).where(
            RelayLog.kind == "unreachable", RelayLog.participant_id.is_not(None)
        )
        query = select(Participant).where(
            Participant.unreachable.is_(True), Participant.status.in_(("onboarding", "active")),
            Participant.id.not_in(alerted),
        )  # fmt: skip
        return list(await self.session.scalars(query))

    # -- outbox ---------------------------------------------------------------------------------
    async def post_staff(
        self,
        now: datetime,
        text: str,
        participant: Participant | None,
        *,
        item_id: int | None = None,
        pin: bool = False,
        copy_from: dict[str, Any] | None = None,
        topic_name: str | None = None,
        urgent: bool = False,
        chat: tuple[str, str] | None = None,
        buttons: list[list[dict[str, str]]] | None = None,
        then: dict[str, Any] | None = None,
        dedup_key: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> OutboxMessage:
        """A message for the staff group: into ``participant``'s topic, or the group itself when None
        (or for another staff ``chat``, the on-call contact's). ``urgent`` rows overtake every other.
        ``then``: a message for the participant that the outbox writes once this one is delivered.

        Staff rows carry no ``participant_id``: a refusal from the staff group must never mark a
        participant unreachable. The participant is remembered in ``relay_messages`` instead.
        """
        payload: dict[str, Any] = {"text": text, "buttons": buttons or [], "image": None}
        if participant is not None:
            payload["relay"] = {"participant_id": participant.id, "topic_name": topic_name or participant.code}
        if pin:
            payload["pin"] = True
        if copy_from:
            payload["copy_from"] = copy_from
        if then:
            payload["then"] = then
        payload.update(extra or {})
        channel, chat_id = chat or (self.config.staff_channel, self.config.staff_chat_id)
        row = outbox_message(None, (channel, chat_id), payload, now, dedup_key=dedup_key,
                             priority=PRIORITY_URGENT if urgent else PRIORITY_BULK)  # fmt: skip
        self.session.add(row)
        if participant is not None:
            await self.session.flush()
            self.session.add(RelayMessage(outbox_id=row.id, participant_id=participant.id, item_id=item_id,
                                          direction="staff", reported=False))  # fmt: skip
        return row

    async def posted(self, dedup_key: str) -> bool:
        """Whether a staff message with this key was ever written (a weekly post, once a week)."""
        found = await self.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup_key))
        return found is not None

    async def post_participant(
        self, now: datetime, participant: Participant, text: str, copy_from: dict[str, Any] | None = None
    ) -> None:
        """A message for the participant (a therapist's reply, or when to expect one)."""
        payload: dict[str, Any] = {"text": text, "buttons": [], "image": None}
        if copy_from:
            payload["copy_from"] = copy_from
        row = outbox_message(participant.id, (participant.channel, participant.chat_id), payload, now)
        self.session.add(row)
        await self.session.flush()
        self.session.add(RelayMessage(outbox_id=row.id, participant_id=participant.id, item_id=None,
                                      direction="participant", reported=False))  # fmt: skip
