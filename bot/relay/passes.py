"""What time makes due on the staff side, one transaction per item: one broken record never stops a pass.

Each pass first reads only the keys of what is due (ids, no participant state), then handles every
item in a transaction of its own: assigning a therapist, opening the week-2 call, the unreachable
alert, an overdue nudge, an URGENT repeat, a failed-delivery report, a stall check. An item that
fails rolls back alone; its participant is quarantined with one ERROR line and an alert written
from plain columns (``bot.relay.isolation.quarantine_participant``), and the pass goes on with the others
in the same run. Quarantined participants are left out of the state-reading passes (stalls, calls)
until an admin clears them; their alerts and URGENT repeats keep going, since those read no state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from bot.relay import format as fmt
from bot.relay import sla, staff_words, stalls
from bot.relay.assign import pick_therapist
from bot.relay.isolation import quarantine_participant
from bot.relay.store import RelayStore
from bot.storage.models import OutboxMessage, Participant, RelayItem
from bot.storage.tables_relay import RelayAssignment, RelayLog, RelayMessage, RelayTask

if TYPE_CHECKING:
    from bot.relay.service import RelayService

Keys = Sequence[tuple[int, int | None]]  # (the item's key, its participant) for each item due
One = Callable[[RelayStore, int, datetime], Awaitable[bool]]


class TimedPasses:
    def __init__(self, relay: RelayService) -> None:
        self.relay = relay
        self._stalls_at: datetime | None = None

    async def run(self) -> int:
        """Every pass once; returns how many things were done."""
        done = await self.assign_new() + await self.open_due_calls() + await self.alert_unreachable()
        done += await self.nudge_overdue() + await self.repeat_urgent() + await self.report_failures()
        return done + await self.check_stalls()

    async def _keys(self, query: object) -> list[tuple[int, int | None]]:
        async with self.relay.db.reading() as session:
            return [(key, pid) for key, pid in (await session.execute(query)).tuples()]  # type: ignore[call-overload]

    async def _each(self, what: str, keys: Keys, one: One) -> int:
        """``one`` for every key, each in its own transaction; a failure quarantines its participant."""
        done = 0
        for key, participant_id in keys:
            try:
                async with self.relay.db.transaction() as session:
                    done += bool(await one(self.relay.store(session), key, self.relay.clock.now()))
            except IntegrityError:  # another sweeper did the same just now: theirs stands
                continue
            except Exception as exc:
                relay = self.relay
                await quarantine_participant(relay.db, relay.clock, relay.staff, self._alert_text, participant_id,
                                             what, exc)  # fmt: skip
        return done

    def _alert_text(self, code: str, error: str) -> str:
        programme = self.relay.programme
        return programme.msg(programme.language(None), "inbound.quarantined", code=code, error=error)

    # -- assignment and the week-2 call ---------------------------------------------------------
    async def assign_new(self) -> int:
        if not self.relay.config.therapist_ids:
            return 0
        query = (
            select(Participant.id, Participant.id)
            .outerjoin(RelayAssignment, RelayAssignment.participant_id == Participant.id)
            .where(RelayAssignment.participant_id.is_(None), Participant.status == "active")
            .order_by(Participant.id)
        )
        return await self._each("assignment", await self._keys(query), self._assign)

    async def _assign(self, store: RelayStore, participant_id: int, now: datetime) -> bool:
        participant = await store.participant(participant_id)
        if participant is None or await store.therapist_of(participant_id) is not None:
            return False
        return await self.relay.ensure_assigned(store, participant, now) is not None

    async def open_due_calls(self) -> int:
        """The week-2 phone call for everyone whose first treatment module has opened."""
        query = (
            select(Participant.id, Participant.id)
            .outerjoin(RelayTask, and_(RelayTask.participant_id == Participant.id, RelayTask.kind == "call"))
            .where(RelayTask.id.is_(None), Participant.status == "active", Participant.start_date.is_not(None),
                   Participant.quarantined_at.is_(None))
            .order_by(Participant.id)
        )  # fmt: skip
        return await self._each("week-2 call", await self._keys(query), self._call_if_opened)

    async def _call_if_opened(self, store: RelayStore, participant_id: int, now: datetime) -> bool:
        first = self.first_module()
        participant = await store.participant(participant_id)
        if first is None or participant is None:
            return False
        position = participant.position or {}
        if first not in position.get("announced", []) and first not in position.get("finished", []):
            return False
        return await self.open_call(store, participant, now)

    def first_module(self) -> str | None:
        modules = self.relay.programme.modules.values()
        first = min((m for m in modules if m.report is not None and m.week is not None),
                    key=lambda m: m.week or 0, default=None)  # fmt: skip
        return first.id if first is not None else None

    async def open_call(self, store: RelayStore, participant: Participant, now: datetime) -> bool:
        """The call task for a therapist other than the participant's own (once: unique per kind)."""
        relay, content = self.relay, self.relay.content
        if await store.task(participant.id, "call") is not None:
            return False
        own = await relay.ensure_assigned(store, participant, now)
        load = await store.open_task_counts()
        caller = pick_therapist(relay.config.therapist_ids, load, exclude={own} if own is not None else ())
        store.session.add(RelayTask(participant_id=participant.id, kind="call", therapist_id=caller, status="open",
                                    checklist=list(content.call_checklist), created_at=now))  # fmt: skip
        await store.session.flush()  # IntegrityError: another sweep opened it first (nothing is lost)
        checklist = "\n".join(f"☐ {line}" for line in content.call_checklist)
        text = content.text("call_task", code=participant.code, therapist=relay.config.name_of(caller),
                            own=relay.config.name_of(own), checklist=checklist)  # fmt: skip
        task = await store.task(participant.id, "call")
        assert task is not None
        done = [[{"label": content.text("task_done_button"), "data": f"{staff_words.TASK}{task.id}"}]]
        await store.post_staff(now, text, participant, topic_name=await store.topic_name(participant.id),
                               buttons=done)  # fmt: skip
        store.audit(participant.id, "relay", "call_task_opened", now, therapist=caller)
        return True

    # -- alerts, nudges, repeats, failures ------------------------------------------------------
    async def alert_unreachable(self) -> int:
        alerted = select(RelayLog.participant_id).where(RelayLog.kind == "unreachable",
                                                        RelayLog.participant_id.is_not(None))  # fmt: skip
        query = select(Participant.id, Participant.id).where(
            Participant.unreachable.is_(True), Participant.status.in_(("onboarding", "active")),
            Participant.id.not_in(alerted),
        )  # fmt: skip
        return await self._each("unreachable alert", await self._keys(query), self._unreachable)

    async def _unreachable(self, store: RelayStore, participant_id: int, now: datetime) -> bool:
        participant = await store.participant(participant_id)
        if participant is None:
            return False
        store.session.add(RelayItem(participant_id=participant.id, source="relay:unreachable", kind="alert",
                                    text=self.relay.content.text("unreachable"), status="open", created_at=now,
                                    data={}, stage="new", nudges=0))  # fmt: skip
        store.log("unreachable", now, participant, None)
        return True

    async def nudge_overdue(self) -> int:
        now = self.relay.clock.now()
        query = select(RelayItem.id, RelayItem.participant_id).where(
            RelayItem.status == "open", RelayItem.stage == "posted", RelayItem.due_at.is_not(None),
            RelayItem.due_at <= now, RelayItem.nudges < 2,
        ).order_by(RelayItem.due_at)  # fmt: skip
        return await self._each("overdue nudge", await self._keys(query), self._nudge)

    async def _nudge(self, store: RelayStore, item_id: int, now: datetime) -> bool:
        cfg = self.relay.config
        item = await store.item_for_update(item_id)
        if item is None or item.status != "open" or item.due_at is None:
            return False
        level = sla.nudge_level(now, item.due_at, cfg.escalate_hours)
        participant = await store.participant(item.participant_id)
        if level <= item.nudges or participant is None:
            return False
        values = dict(code=participant.code, kind=fmt.KIND_WORDS.get(item.kind, item.kind),
                      due=fmt.when_text(item.due_at, cfg.timezone), therapist=cfg.name_of(item.assigned_to))  # fmt: skip
        if level == 1:
            await store.post_staff(now, self.relay.content.text("nudge", **values), participant, item_id=item.id,
                                   topic_name=await store.topic_name(participant.id))  # fmt: skip
        else:
            age = sla.age_text((now - item.created_at).total_seconds())
            await store.post_staff(now, self.relay.content.text("escalate", age=age, **values), None)
        store.audit(participant.id, "relay", "overdue_nudge", now, item=item.id, level=level)
        item.nudges = level
        return True

    async def repeat_urgent(self) -> int:
        """Each unacknowledged URGENT alert again in its topic, after a growing gap (5 min, 15 min, 1 h,
        then hourly); after ``urgent_escalate_after`` repeats also to the whole group and the on-call
        contact, once."""
        query = select(RelayItem.id, RelayItem.participant_id).where(
            RelayItem.kind == "safety", RelayItem.stage == "posted", RelayItem.acked_at.is_(None),
            RelayItem.repeat_at.is_not(None), RelayItem.repeat_at <= self.relay.clock.now(),
        ).order_by(RelayItem.id)  # fmt: skip
        keys = await self._keys(query)
        await self._each("URGENT repeat", keys, self._repeat)
        return len(keys)

    async def _repeat(self, store: RelayStore, item_id: int, now: datetime) -> bool:
        cfg, content = self.relay.config, self.relay.content
        item = await store.item_for_update(item_id)
        if item is None or item.acked_at is not None or item.repeat_at is None or item.repeat_at > now:
            return False  # acknowledged or repeated meanwhile
        participant = await store.participant(item.participant_id)
        if participant is None:
            return False
        age = sla.age_text((now - item.created_at).total_seconds())
        await store.post_staff(now, content.text("urgent_repeat", code=participant.code, age=age), participant,
                               item_id=item.id, topic_name=await store.topic_name(participant.id), urgent=True)  # fmt: skip
        item.nudges = (item.nudges or 0) + 1
        item.repeat_at = now + timedelta(minutes=cfg.repeat_gap(item.nudges))
        store.audit(participant.id, "relay", "safety_alert_repeated", now, item=item.id, repeat=item.nudges)
        if item.nudges == cfg.urgent_escalate_after:
            await self._escalate(store, participant, age, now)
        return True

    async def _escalate(self, store: RelayStore, participant: Participant, age: str, now: datetime) -> None:
        cfg, content = self.relay.config, self.relay.content
        contact = fmt.contact_text(content, participant.position)
        await store.post_staff(now, content.text("escalate_urgent", code=participant.code, age=age, contact=contact),
                               None, urgent=True)  # fmt: skip
        if cfg.oncall is not None:
            oncall = content.text("oncall", code=participant.code, age=age)
            await store.post_staff(now, oncall, None, urgent=True, chat=cfg.oncall)
        store.audit(participant.id, "relay", "safety_alert_escalated", now, oncall=cfg.oncall is not None)

    async def report_failures(self) -> int:
        query = (
            select(RelayMessage.id, RelayMessage.participant_id)
            .join(OutboxMessage, OutboxMessage.id == RelayMessage.outbox_id)
            .where(RelayMessage.direction == "participant", RelayMessage.reported.is_(False),
                   OutboxMessage.status == "failed")
        )  # fmt: skip
        keys = await self._keys(query)
        await self._each("failed-delivery report", keys, self._report)
        return len(keys)

    async def _report(self, store: RelayStore, message_id: int, now: datetime) -> bool:
        message = await store.session.get(RelayMessage, message_id)
        if message is None or message.reported:
            return False
        message.reported = True
        outbox = await store.session.get(OutboxMessage, message.outbox_id)
        participant = await store.participant(message.participant_id)
        if participant is None or outbox is None:
            return False
        reason = (outbox.last_error or "unknown error")[:200]
        await store.post_staff(now, self.relay.content.text("delivery_failed", code=participant.code, reason=reason),
                               participant, topic_name=await store.topic_name(participant.id))  # fmt: skip
        store.audit(participant.id, "relay", "reply_not_delivered", now, outbox=outbox.id)
        return True

    # -- stalls ---------------------------------------------------------------------------------
    async def check_stalls(self) -> int:
        """Who has stood still in a module (``bot.relay.stalls``), looked at once an hour."""
        now = self.relay.clock.now()
        if self._stalls_at is not None and now - self._stalls_at < timedelta(hours=1):
            return 0
        self._stalls_at = now
        query = select(Participant.id, Participant.id).where(
            Participant.status == "active", Participant.paused.is_(False), Participant.quarantined_at.is_(None)
        ).order_by(Participant.id)  # fmt: skip
        return await self._each("stall check", await self._keys(query), self._stall)

    async def _stall(self, store: RelayStore, participant_id: int, now: datetime) -> bool:
        participant = await store.participant(participant_id)
        if participant is None:
            return False
        return await stalls.check(store, self.relay.content, self.relay.programme, participant, now) is not None
