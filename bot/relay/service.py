"""The relay service: where the staff side meets storage.

Three entry points, each its own transactions: ``process_pending`` posts every new relay item
exactly once (topic, assignment, response target, staff outbox rows, then ``stage = posted``, all in
the item's one transaction, the row locked on PostgreSQL); ``handle_staff`` runs one staff-group
update in one transaction (a redelivered update id does nothing); ``sweep`` does what time makes due
(nudges, URGENT repeats, week-2 call tasks, failed-delivery reports). Sending is the outbox
sender's job: this service only writes rows and wakes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.programme import Programme
from bot.engine.commands import COMMANDS as PARTICIPANT_COMMANDS
from bot.relay import digest, overview, sla, staff_words, stalls, tech_help, timing, week_chart
from bot.relay import format as fmt
from bot.relay.access import Access, decide, route
from bot.relay.assign import pick_therapist
from bot.relay.commands import CommandContext, StaffCommand
from bot.relay.content import RelayContent
from bot.relay.isolation import isolate_item
from bot.relay.model import RelayConfig, StaffInbound
from bot.relay.registry import default_registry
from bot.relay.replies import deliver
from bot.relay.store import RelayStore, programme_week
from bot.relay.week_store import report_post
from bot.storage.database import Database
from bot.storage.models import Participant, RelayItem
from bot.storage.tables_relay import RelayTask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffOutcome:
    """What the channel must do at its edge after a staff update."""

    handled: bool = True  # False: not a staff matter (a participant's private message)
    leave: bool = False  # leave this chat: it is not the staff group
    answer: str | None = None  # say this in the (private) chat the update came from
    button_answer: str | None = None  # show this to the therapist who pressed a button


class RelayService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: RelayConfig,
        content: RelayContent,
        programme: Programme,
        *,
        registry: dict[str, StaffCommand] | None = None,
        wake_sender: Callable[[], None] = lambda: None,
        arm_of: Callable[[Participant], str | None] | None = None,
        charts_dir: Path | None = None,  # where the week posts' pain charts are written (None: text only)
    ) -> None:
        self.db, self.clock, self.config, self.content, self.programme = db, clock, config, content, programme
        self.registry = registry if registry is not None else default_registry()
        self.wake_sender = wake_sender
        self.charts_dir = charts_dir
        self.arm_of = arm_of or self._allocated_arm  # for topic names ("P-0007 · Waiting list · week 3")
        self.wake = asyncio.Event()
        self._posting = asyncio.Lock()
        self._stalls_at: datetime | None = None
        self._staff = (config.staff_channel, config.staff_chat_id)

    def _allocated_arm(self, participant: Participant) -> str | None:
        """The arm the chat's draw stored in the position; therapists deliver the treatment, so they see it."""
        arm = (participant.position or {}).get("arm")
        trial = self.programme.trial
        if arm is None or trial is None:
            return None
        title = next((a.title for a in trial.arms if a.id == arm), None)
        return self.programme.text(title, self.programme.spec.default_language) or arm

    def store(self, session: AsyncSession) -> RelayStore:
        """The relay's queries over ``session`` (a channel asks which post a reply answers)."""
        return RelayStore(session, self.config, lock_rows=not self.db.is_sqlite)

    # -- participant items -> staff group -------------------------------------------------------
    async def process_pending(self, limit: int = 200) -> int:
        """Post every new relay item; returns how many this call posted."""
        posted = 0
        async with self._posting:  # one poster per process; the row lock covers other processes
            async with self.db.reading() as session:
                ids = await self.store(session).new_item_ids(limit)
            for item_id in ids:
                try:
                    done = await self._post_item(item_id)
                except Exception as exc:  # their state or the item is broken: theirs alone, as text
                    done = await isolate_item(self.db, self.clock, self.content, self._staff, item_id, exc)
                posted += done
        if posted:
            self.wake_sender()
        return posted

    async def _post_item(self, item_id: int) -> bool:
        now = self.clock.now()
        async with self.db.transaction() as session:
            store = self.store(session)
            item = await store.item_for_update(item_id)
            if item is None or item.stage != "new":
                return False  # another poster got here first
            participant = await store.participant(item.participant_id)
            if participant is None:
                item.stage = "posted"
                return False
            item.kind = fmt.item_kind(item.kind, item.source)
            therapist = await self._ensure_assigned(store, participant, now)
            await self._post(store, item, participant, therapist, now)
            log.info("relay item %d (%s) for %s posted", item.id, item.kind, participant.code)
            return True

    async def _post(self, store: RelayStore, item: RelayItem, participant: Participant, therapist: int | None,
                    now: datetime) -> None:  # fmt: skip
        cfg = self.config
        week = programme_week(participant, now)
        name = fmt.topic_name(participant.code or "?", self.arm_of(participant), week)  # renamed when it changes
        if item.kind == tech_help.KIND:  # "something isn't working": a task, not an answer with a target
            await tech_help.open_task(store, self.content, item, participant, therapist, now, name)
            return
        days = {"question": cfg.question_days, "free": cfg.question_days, "report": cfg.report_days}.get(item.kind)
        due = sla.due_at(item.created_at, days, cfg.timezone, cfg.day_end_hour, cfg.holidays) if days else None
        if item.kind == "concern":
            due = sla.same_day(item.created_at, cfg.timezone, cfg.day_end_hour)
        whole = await report_post(store, self.programme, self.content, item, participant, due, therapist)
        text = whole[0] if whole is not None else None
        if text is None:
            diary = ""
            if item.kind == "report":
                diary = fmt.diary_summary(self.content, await store.diary_days(participant.id, now))
            text = fmt.item_post(
                self.content, kind=item.kind, source=item.source, code=participant.code or "?", week=week,
                text=item.text, data=item.data or {}, due=fmt.when_text(due, cfg.timezone),
                therapist=cfg.name_of(therapist), diary=diary, contact=fmt.contact_text(self.content, participant.position),
            )  # fmt: skip
        urgent = item.kind == "safety"
        await store.post_staff(now, text, participant, item_id=item.id, pin=urgent, topic_name=name, urgent=urgent)
        if whole is not None and self.charts_dir is not None:  # the week's pain as a picture (none without a diary)
            await week_chart.post(store, self.content, whole[1], participant, item.id, name, self.charts_dir, now)
        attachment = (item.data or {}).get("attachment")
        if isinstance(attachment, dict) and attachment.get("message_id") is not None:
            copy = {"chat_id": attachment.get("chat_id", participant.chat_id), "message_id": attachment["message_id"]}
            await store.post_staff(now, "", participant, item_id=item.id, copy_from=copy, topic_name=name)
        item.stage, item.posted_at, item.assigned_to, item.due_at = "posted", now, therapist, due
        if urgent:
            item.repeat_at, item.nudges = now + timedelta(minutes=cfg.repeat_gap(0)), 0
            store.audit(participant.id, "relay", "safety_alert_posted", now, item=item.id)
        elif item.kind == "concern":
            store.audit(participant.id, "relay", "safety_concern_posted", now, item=item.id)
        else:
            store.audit(participant.id, "relay", "item_posted", now, item=item.id, kind=item.kind)
        if due is not None and item.kind != "concern":  # (a concern's same-day promise is in its own message)
            key = "relay_delivery.expect_feedback" if item.kind == "report" else "relay_delivery.expect_answer"
            lang = self.programme.language(participant.language)
            when = fmt.participant_when(due, participant.timezone)
            await store.post_participant(now, participant, self.programme.msg(lang, key, when=when))

    async def _ensure_assigned(self, store: RelayStore, participant: Participant, now: datetime) -> int | None:
        therapist = await store.therapist_of(participant.id)
        if therapist is not None or not self.config.therapist_ids:
            return therapist
        therapist = pick_therapist(self.config.therapist_ids, await store.caseload())
        if therapist is not None:
            await store.assign(participant.id, therapist, "relay:caseload", now)
            store.audit(participant.id, "relay", "assigned", now, therapist=therapist)
        return therapist

    # -- staff group -> participants ------------------------------------------------------------
    async def handle_staff(self, msg: StaffInbound) -> StaffOutcome:
        private = [name for name in self.registry if name not in PARTICIPANT_COMMANDS]
        access = decide(msg, self.config.staff_chat_id, self.config.therapist_ids, self.registry, private)
        if access is Access.PASS:
            return StaffOutcome(handled=False)
        if access is Access.IGNORE:
            return StaffOutcome()
        now = self.clock.now()
        async with self.db.transaction() as session:
            store = self.store(session)
            if await store.seen(msg.event_id):
                return StaffOutcome()
            store.record(msg.event_id, now)
            actor = f"user:{msg.user_id}"
            if access is Access.LEAVE:
                store.audit(None, actor, "left_foreign_chat", now, chat=msg.chat_id)
                log.warning("left chat %s: it is not the staff group", msg.chat_id)
                return StaffOutcome(leave=True)
            if access is Access.REFUSE_PRIVATE:
                store.audit(None, actor, "staff_command_refused", now, where="private")
                return StaffOutcome(answer=self.content.text("private_refused"))
            if access is Access.IGNORE_STRANGER:
                store.audit(None, actor, "staff_message_ignored", now, chat=msg.chat_id)
                log.warning("message from %s in the staff group ignored: not a registered therapist", actor)
                return StaffOutcome()
            outcome = await self._staff_update(store, access, msg, now)
        self.wake_sender()
        return outcome

    async def _staff_update(self, store: RelayStore, access: Access, msg: StaffInbound, now: datetime) -> StaffOutcome:
        """A therapist's update in the staff group: a command, a button, an edit, or words."""
        if access is Access.BUTTON:
            if (msg.button or "").startswith(staff_words.TASK):
                return StaffOutcome(button_answer=await staff_words.close_task(store, self.content, now, msg))
            return StaffOutcome(button_answer=await staff_words.send_kept(store, self.content, now, msg))
        if access is Access.EDIT:
            await staff_words.edited(store, self.content, self.programme, now, msg)
            return StaffOutcome()
        if access is Access.UNKNOWN_COMMAND:
            name = msg.command[0] if msg.command else "?"
            await self._say(store, now, self.content.text("unknown_command", name=name), None)
            return StaffOutcome()
        by_topic = await store.participant_by_thread(msg.thread_id) if msg.thread_id is not None else None
        by_reply = await store.participant_by_reply(msg.reply_to) if msg.reply_to is not None else None
        target = route(msg, by_topic, by_reply)
        participant = await store.participant(target) if target is not None else None
        if participant is not None and msg.thread_id is not None:  # an action in their topic: a first look
            await timing.looked(store, participant, msg.user_id, now)
        if access is Access.COMMAND:
            assert msg.command is not None
            name, args = msg.command
            ctx = CommandContext(store, self.content, msg, args, now, participant, self.programme, self.registry)
            await self.registry[name].handler(ctx)
            store.audit(participant.id if participant else None, f"therapist:{msg.user_id}", "staff_command",
                        now, command=name)  # fmt: skip
        elif participant is None:
            await self._say(store, now, self.content.text("unroutable"), None)
        elif by_reply == participant.id:
            copy = {"chat_id": msg.chat_id, "message_id": msg.message_id} if msg.has_attachment else None
            await deliver(store, now, participant, msg.user_id, msg.text, copy, message_id=msg.message_id,
                          content=self.content)  # fmt: skip
            log.info("therapist reply relayed to %s", participant.code)
        else:
            await staff_words.keep(store, self.content, now, msg, participant)
        return StaffOutcome()

    async def _say(self, store: RelayStore, now: datetime, text: str, participant: Participant | None) -> None:
        topic = await store.topic_name(participant.id) if participant is not None else None
        await store.post_staff(now, text, participant, topic_name=topic)

    # -- what time makes due --------------------------------------------------------------------
    async def sweep(self) -> int:
        """Assign, open week-2 calls, nudge overdue items, repeat URGENT alerts, report failures.

        What time makes due is done by one process only, the one holding the sweep lock (as the
        programme's sweep): two would post every nudge and URGENT repeat twice. Posting new items is
        safe in every process (each item's row is locked) and is done here either way."""
        if not await self.db.sweep_lock.acquire():
            return await self.process_pending()
        done = await self._assign_new() + await self._open_due_calls() + await self._alert_unreachable()
        done += await self._nudge_overdue() + await self._repeat_urgent() + await self._report_failures()
        done += await self._check_stalls() + await self._general_thread()
        done += await self.process_pending()
        if done:
            self.wake_sender()
        return done

    async def _check_stalls(self) -> int:
        """Who has stood still in a module (``bot.relay.stalls``), looked at once an hour."""
        now = self.clock.now()
        if self._stalls_at is not None and now - self._stalls_at < timedelta(hours=1):
            return 0
        self._stalls_at = now
        async with self.db.transaction() as session:
            store = self.store(session)
            people = await session.scalars(
                select(Participant).where(Participant.status == "active", Participant.paused.is_(False))
            )
            done = [await stalls.check(store, self.content, self.programme, p, now) for p in people.all()]
        return sum(1 for d in done if d is not None)

    async def _general_thread(self) -> int:
        """The general thread's posts that time makes due: the weekly drop-out digest, and the pinned
        queue overview edited in place when the queue changed."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            store = self.store(session)
            posted = await digest.post_digest(store, self.content, self.programme, now)
            return int(posted) + int(await overview.refresh(store, self.content, now))

    async def _assign_new(self) -> int:
        now = self.clock.now()
        async with self.db.transaction() as session:
            store = self.store(session)
            fresh = await store.unassigned_participants() if self.config.therapist_ids else []
            for participant in fresh:
                await self._ensure_assigned(store, participant, now)
            return len(fresh)

    async def _open_due_calls(self) -> int:
        first = min((m for m in self.programme.modules.values() if m.report is not None and m.week is not None),
                    key=lambda m: m.week or 0, default=None)  # fmt: skip
        if first is None:
            return 0
        async with self.db.reading() as session:
            due = [p.id for p in await self.store(session).call_candidates(first.id)]
        return sum([await self.open_call_task(pid) for pid in due])

    async def open_call_task(self, participant_id: int) -> bool:
        """The week-2 phone call: a task for a therapist other than the participant's own (once)."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as session:
                store = self.store(session)
                participant = await store.participant(participant_id)
                if participant is None or await store.task(participant_id, "call") is not None:
                    return False
                own = await self._ensure_assigned(store, participant, now)
                load = await store.open_task_counts()
                caller = pick_therapist(self.config.therapist_ids, load, exclude={own} if own is not None else ())
                session.add(RelayTask(participant_id=participant_id, kind="call", therapist_id=caller, status="open",
                                      checklist=list(self.content.call_checklist), created_at=now))  # fmt: skip
                await session.flush()
                checklist = "\n".join(f"☐ {line}" for line in self.content.call_checklist)
                text = self.content.text("call_task", code=participant.code, therapist=self.config.name_of(caller),
                                         own=self.config.name_of(own), checklist=checklist)  # fmt: skip
                task = await store.task(participant_id, "call")
                done = [[{"label": self.content.text("task_done_button"), "data": f"{staff_words.TASK}{task.id}"}]]
                await store.post_staff(now, text, participant, topic_name=await store.topic_name(participant_id),
                                       buttons=done)  # fmt: skip
                store.audit(participant_id, "relay", "call_task_opened", now, therapist=caller)
        except IntegrityError:
            return False  # another sweep opened it
        return True

    async def _alert_unreachable(self) -> int:
        now = self.clock.now()
        async with self.db.transaction() as session:
            store = self.store(session)
            lost = await store.unreachable_unalerted()
            for participant in lost:
                session.add(RelayItem(participant_id=participant.id, source="relay:unreachable", kind="alert",
                                      text=self.content.text("unreachable"), status="open", created_at=now,
                                      data={}, stage="new", nudges=0))  # fmt: skip
                store.log("unreachable", now, participant, None)
            return len(lost)

    async def _nudge_overdue(self) -> int:
        now, cfg = self.clock.now(), self.config
        async with self.db.transaction() as session:
            store = self.store(session)
            nudged = 0
            for item in await store.overdue_items(now):
                level = sla.nudge_level(now, item.due_at, cfg.escalate_hours)
                if level <= item.nudges:
                    continue
                participant = await store.participant(item.participant_id)
                if participant is None:
                    continue
                values = dict(code=participant.code, kind=fmt.KIND_WORDS.get(item.kind, item.kind),
                              due=fmt.when_text(item.due_at, cfg.timezone), therapist=cfg.name_of(item.assigned_to))  # fmt: skip
                if level == 1:
                    text = self.content.text("nudge", **values)
                    await store.post_staff(now, text, participant, item_id=item.id,
                                           topic_name=await store.topic_name(participant.id))  # fmt: skip
                else:
                    age = sla.age_text((now - item.created_at).total_seconds())
                    await store.post_staff(now, self.content.text("escalate", age=age, **values), None)
                store.audit(participant.id, "relay", "overdue_nudge", now, item=item.id, level=level)
                item.nudges = level
                nudged += 1
            return nudged

    async def _repeat_urgent(self) -> int:
        """Each unacknowledged URGENT alert again in its topic, after a growing gap (5 min, 15 min, 1 h,
        then hourly); after ``urgent_escalate_after`` repeats also to the whole group and the on-call
        contact, once."""
        now, cfg = self.clock.now(), self.config
        async with self.db.transaction() as session:
            store = self.store(session)
            items = await store.urgent_to_repeat(now)
            for item in items:
                participant = await store.participant(item.participant_id)
                if participant is None:
                    continue
                age = sla.age_text((now - item.created_at).total_seconds())
                await store.post_staff(now, self.content.text("urgent_repeat", code=participant.code, age=age),
                                       participant, item_id=item.id, topic_name=await store.topic_name(participant.id),
                                       urgent=True)  # fmt: skip
                item.nudges = (item.nudges or 0) + 1
                item.repeat_at = now + timedelta(minutes=cfg.repeat_gap(item.nudges))
                store.audit(participant.id, "relay", "safety_alert_repeated", now, item=item.id, repeat=item.nudges)
                if item.nudges == cfg.urgent_escalate_after:
                    await self._escalate(store, participant, age, now)
            return len(items)

    async def _escalate(self, store: RelayStore, participant: Participant, age: str, now: datetime) -> None:
        contact = fmt.contact_text(self.content, participant.position)
        text = self.content.text("escalate_urgent", code=participant.code, age=age, contact=contact)
        await store.post_staff(now, text, None, urgent=True)
        if self.config.oncall is not None:
            oncall = self.content.text("oncall", code=participant.code, age=age)
            await store.post_staff(now, oncall, None, urgent=True, chat=self.config.oncall)
        store.audit(participant.id, "relay", "safety_alert_escalated", now, oncall=self.config.oncall is not None)

    async def _report_failures(self) -> int:
        now = self.clock.now()
        async with self.db.transaction() as session:
            store = self.store(session)
            failures = await store.unreported_failures()
            for message, outbox in failures:
                message.reported = True
                participant = await store.participant(message.participant_id)
                if participant is None:
                    continue
                reason = (outbox.last_error or "unknown error")[:200]
                await store.post_staff(now, self.content.text("delivery_failed", code=participant.code, reason=reason),
                                       participant, topic_name=await store.topic_name(participant.id))  # fmt: skip
                store.audit(participant.id, "relay", "reply_not_delivered", now, outbox=outbox.id)
            return len(failures)

    # -- background loop ------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, idle_seconds: float = 5.0) -> None:
        """Post new items whenever woken (a participant event committed) or every ``idle_seconds``."""
        while not stop.is_set():
            try:
                await self.process_pending()
            except Exception:  # keep the loop alive; the items stay new and are posted next time
                log.exception("relay posting failed")
            self.wake.clear()
            waiter = asyncio.ensure_future(self.wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
