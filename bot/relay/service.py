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
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.programme import Programme
from bot.engine.commands import COMMANDS as PARTICIPANT_COMMANDS
from bot.relay import confirm, digest, overview, sla, staff_words, tech_help, timing, week_chart
from bot.relay import format as fmt
from bot.relay.access import Access, decide, route
from bot.relay.assign import pick_therapist
from bot.relay.commands import CommandContext, StaffCommand
from bot.relay.content import RelayContent
from bot.relay.isolation import isolate_item
from bot.relay.model import RelayConfig, StaffInbound
from bot.relay.passes import TimedPasses
from bot.relay.registry import default_registry
from bot.relay.replies import deliver
from bot.relay.store import RelayStore, programme_week
from bot.relay.week_store import report_post
from bot.storage.database import Database
from bot.storage.models import Participant, RelayItem

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
        self.passes = TimedPasses(self)
        self.staff = (config.staff_channel, config.staff_chat_id)

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
                    done = await isolate_item(self.db, self.clock, self.content, self.staff, item_id, exc)
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
            therapist = await self.ensure_assigned(store, participant, now)
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
        then = self._expectation(item, participant, due)
        await store.post_staff(now, text, participant, item_id=item.id, pin=urgent, topic_name=name, urgent=urgent,
                               then=then)  # fmt: skip
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

    def _expectation(self, item: RelayItem, participant: Participant, due: datetime | None) -> dict[str, Any] | None:
        """The participant's "it has reached your therapist, who aims to answer by …": sent by the
        outbox only once the staff post is delivered (``then`` on its row), so nobody is told it arrived
        while it still waits in the queue. A concern's same-day promise is in its own message."""
        if due is None or item.kind == "concern":
            return None
        key = "relay_delivery.expect_feedback" if item.kind == "report" else "relay_delivery.expect_answer"
        lang = self.programme.language(participant.language)
        text = self.programme.msg(lang, key, when=fmt.participant_when(due, participant.timezone))
        return {"participant_id": participant.id, "channel": participant.channel, "chat_id": participant.chat_id,
                "text": text}  # fmt: skip

    async def ensure_assigned(self, store: RelayStore, participant: Participant, now: datetime) -> int | None:
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
            if confirm.is_confirmation(msg.button):
                toast = await confirm.answer(store, self.content, self.programme, self.registry, now, msg)
                return StaffOutcome(button_answer=toast)
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
        done = await self.passes.run()  # one transaction per item: one broken record never stops the rest
        done += await self._general_thread()
        done += await self.process_pending()
        if done:
            self.wake_sender()
        return done

    async def _general_thread(self) -> int:
        """The general thread's posts that time makes due: the weekly drop-out digest, and the pinned
        queue overview edited in place when the queue changed. Its own transaction: a failure here is
        one ERROR line and never stops the rest of the sweep."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as session:
                store = self.store(session)
                posted = await digest.post_digest(store, self.content, self.programme, now)
                return int(posted) + int(await overview.refresh(store, self.content, now))
        except Exception as exc:
            log.error(
                "relay: the general thread's digest or overview failed (%s); the sweep goes on", type(exc).__name__
            )
            return 0

    async def open_call_task(self, participant_id: int) -> bool:
        """The week-2 phone call: a task for a therapist other than the participant's own (once)."""
        try:
            async with self.db.transaction() as session:
                store = self.store(session)
                participant = await store.participant(participant_id)
                return participant is not None and await self.passes.open_call(store, participant, self.clock.now())
        except IntegrityError:
            return False  # another sweep opened it

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
