"""``icbt simulate``: a whole trial of synthetic people through the real chat on the simulated clock.

Hour by hour: people arrive and write ``/start``, read the welcome and answer the application and the
screening questionnaires in the chat (``bot/simulate/chat.py``); the trial service assesses each
application after its commit, as in the running bot (``bot/trial/chat.py``). Every morning a
synthetic therapist records the interviews of those waiting with ``/interviewed P-0007
include|exclude <reason>`` through the relay's staff-command registry, the same path a message in the
staff group takes. An include brings the consent; after "I agree" and the baseline the sweep makes the concealed draw, and
from then on one engine follows each arm's calendar (treatment modules; the waiting list's check-ins,
post weeks and crossover offer). Due participants are ticked, due messages are handed to an in-memory
transport, and every person who uses the bot that day answers whatever waits for them.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select

from bot.bootstrap import conversation_service
from bot.clock import FakeClock
from bot.content.programme import Programme
from bot.conversation.decisions import Decisions
from bot.engine import Inbound
from bot.engine.model import Effects, Policy
from bot.features import build_engine
from bot.heap import settled_heap
from bot.measures.dataset import POST_MODULE
from bot.measures.provenance import mark_simulated
from bot.measures.service import SymptomPolicy
from bot.relay import confirm
from bot.relay.content import load_relay_content
from bot.relay.model import RelayConfig, StaffInbound
from bot.relay.registry import default_registry
from bot.relay.service import RelayService
from bot.simulate.chat import CHANNEL, Chat, SimTransport
from bot.simulate.overlay import simulated_programme
from bot.simulate.people import Person, SimConfig, decide_change, make_people
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_relay import StaffConfirmation
from bot.trial.chat import TrialChat
from bot.trial.service import TrialService

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
TIMEZONE = "Europe/Stockholm"
WEEKS = 12  # baseline, eight modules, post
GRACE_WEEKS = 4  # time for people who fell behind to reach the post questionnaires and the crossover
STAFF_CHAT = "staff"  # the simulated staff group (on the simulator's channel)
THERAPIST = 1  # the synthetic therapist's user id in the staff group
INTERVIEW_HOUR = 10  # local time the therapist records the interviews of those waiting
INTERVIEW_EXCLUDE = "other treatment for back pain under way"
SIM_SEED = b"icbt-simulator-seed-not-for-a-real-trial-1"
SITTING = 300  # answers one person may give in one hour at most (a long questionnaire day fits)
END_OF_TIME = datetime.max.replace(tzinfo=UTC)  # nobody is due


@dataclass(frozen=True)
class SimResult:
    applied: int
    randomized: dict[str, int]
    answers_sent: int
    finished_at: datetime


class Simulation:
    """One simulated trial on one database."""

    def __init__(self, db: Database, programme: Programme, config: SimConfig, content_dir: Path,
                 until_primary: bool = False) -> None:  # fmt: skip
        if programme.trial is None:
            raise ValueError("the content has no trial/trial.yaml: there is no trial to simulate")
        self.db, self.programme, self.config = db, programme, config
        self.until_primary = until_primary  # stop once the primary analysis's data are complete
        self.rng = np.random.default_rng(config.seed)
        self.clock = FakeClock(START)
        self.transport = SimTransport(db, self.clock)
        staff = (CHANNEL, STAFF_CHAT)
        engine = build_engine(programme, Policy(staff_available=False, trial=True))
        trial = TrialService(db, programme, self.clock, seed=SIM_SEED, staff_target=staff)
        decisions = Decisions(db, engine, self.clock, charts_named, lambda: None)
        self.trial_chat = TrialChat(trial, engine, decisions.decide_in)
        self.service = conversation_service(
            db, engine, self.clock, timezone=TIMEZONE, language="en", staff_target=staff,
            on_trial=self.trial_chat.run, after_sweep=self.trial_chat.draws_due, symptoms=SymptomPolicy(),
            pictures=charts_named, decisions=decisions,
        )  # fmt: skip
        relay = RelayConfig(staff_channel=CHANNEL, staff_chat_id=STAFF_CHAT, therapist_ids=(THERAPIST,),
                            therapist_names={THERAPIST: "Sim"}, signature="— {name}", timezone=TIMEZONE)  # fmt: skip
        commands = default_registry()
        self.trial_chat.register(commands)  # /interviewed, as in the running bot
        self.relay = RelayService(db, self.clock, relay, load_relay_content(content_dir), programme, registry=commands)
        self.staff_events = itertools.count(1)
        self.people = make_people(config, self.rng)
        self.chats = {p.chat: Chat(p, self.transport, self.rng, TIMEZONE, self._drawn) for p in self.people}
        self.to_interview: list[Person] = []
        self.answers_sent = 0
        self.due: datetime | None = None  # the earliest next_due_at, None: to be read again

    def _drawn(self, person: Person) -> None:
        """The draw in the chat named the person's arm: their change from baseline to post follows it."""
        decide_change(person, self.config, self.rng)

    async def run(self, on_day: Callable[[int, int], None] | None = None) -> SimResult:
        """Hour after hour (``_hours``), with the collector told what lives as long as the run."""
        with settled_heap(self.programme):
            return await self._hours(on_day)

    async def _hours(self, on_day: Callable[[int, int], None] | None) -> SimResult:
        """Hour after hour until everyone had time to reach the post questionnaires and the crossover
        (with ``until_primary``: until nothing later can change the primary analysis).

        An hour in which nothing can happen costs no query: the earliest ``next_due_at`` is read again
        only after something was written, and nobody answers without an unread message."""
        last_arrival = max(p.arrives for p in self.people)
        end = START + timedelta(days=last_arrival + 7 * (WEEKS + GRACE_WEEKS))
        days = (end - START).days
        waiting = list(self.people)
        engaged: dict[str, bool] = {}
        today = None
        while self.clock.now() < end:
            now = self.clock.now()
            if now.date() != today:
                today = now.date()
                engaged = {p.chat: p.engaged(self.rng, self._week(p)) for p in self.people}
                if on_day is not None:
                    on_day((now - START).days, days)
                if self.until_primary and await self._primary_complete():
                    break
            while waiting and START + timedelta(days=waiting[0].arrives) <= now:
                await self.arrive(waiting.pop(0))
            hour = now.astimezone(ZoneInfo(TIMEZONE)).hour
            if hour == INTERVIEW_HOUR and self.to_interview:
                await self.interviews()
            if await self._someone_due(now):
                await self.service.tick_due()
                await self.transport.deliver()
                self.due = None
            if 7 <= hour <= 21:
                for person in self.people:
                    chat = self.chats[person.chat]
                    if person.participant_id is not None and engaged[person.chat] and chat.unread():
                        self.answers_sent += await chat.answer_until_idle(self.service, self.programme, limit=SITTING)
                        self.due = None
            self.clock.advance(timedelta(hours=1))
        arms = [a.id for a in self.programme.trial.arms]  # type: ignore[union-attr]  # checked in __init__
        counts = {arm: sum(1 for p in self.people if p.arm == arm) for arm in arms}
        return SimResult(len(self.people), counts, self.answers_sent, self.clock.now())

    async def _someone_due(self, now: datetime) -> bool:
        """Is anyone's ``next_due_at`` reached? Read again only after a write (``self.due = None``)."""
        if self.due is None:
            async with self.db.reading() as session:
                first = await session.scalar(select(func.min(Participant.next_due_at)))
            self.due = END_OF_TIME if first is None else _aware(first)
        return self.due <= now

    async def _primary_complete(self) -> bool:
        """Can nothing later change the primary analysis? Everyone taken in has been drawn, and each of
        them has either the primary outcome's post score (an administration, once scored, is closed) or
        has stopped answering for good. What the rest of the run would add (the waiting list's crossover,
        late diaries) is not in that analysis; the first day this holds is the last one simulated."""
        taken = [p for p in self.people if p.screened_out is None]
        if any(p.arm is None for p in taken):
            return False
        still = {p.participant_id for p in taken if not p.dropped(self._week(p))}
        primary = self.programme.trial.primary_outcome if self.programme.trial else None
        if not still or primary is None:
            return primary is not None
        async with self.db.reading() as session:
            scored = set(await session.scalars(
                select(ScoreRow.participant_id).where(ScoreRow.module_id == POST_MODULE,
                                                      ScoreRow.instrument == primary.instrument)
            ))  # fmt: skip
        return still <= scored

    def _week(self, person: Person) -> int | None:
        if person.arm is None or person.participant_id is None:
            return None
        return int((self.clock.now() - START).days - person.arrives) // 7

    async def arrive(self, person: Person) -> None:
        """``/start``, the welcome, the application and the screens, all in the chat."""
        chat = self.chats[person.chat]
        self.answers_sent += await chat.answer_until_idle(self.service, self.programme,
                                                          first=Inbound(kind="command", text="start"))  # fmt: skip
        self.due = None
        state = await chat.state(self.service)
        if state is not None and state.trial_stage == "to_interview":
            self.to_interview.append(person)

    async def interviews(self) -> None:
        """The therapist's morning: ``/interviewed`` for everyone waiting, in the staff group."""
        waiting, self.to_interview = self.to_interview, []
        for person in waiting:
            if person.screened_out == "interview":
                await self.staff(f"/interviewed {person.code} exclude {INTERVIEW_EXCLUDE}")
                await self.staff("", button=await self._exclusion_asked())  # "Yes, exclude": it is asked back
            else:
                await self.staff(f"/interviewed {person.code} include")
        await self.transport.deliver()

    async def _exclusion_asked(self) -> str:
        """The Yes button of the confirming question the exclusion was just answered with."""
        async with self.db.reading() as session:
            nonce = await session.scalar(
                select(StaffConfirmation.nonce).where(StaffConfirmation.therapist_id == THERAPIST,
                                                      StaffConfirmation.used_at.is_(None))
                .order_by(StaffConfirmation.created_at.desc()).limit(1)
            )  # fmt: skip
        assert nonce is not None, "an exclusion is asked back before it is done"
        return confirm.YES + nonce

    async def staff(self, text: str, button: str | None = None) -> None:
        """One message (or button press) from the therapist in the staff group, as Telegram delivers it."""
        number = next(self.staff_events)
        await self.relay.handle_staff(StaffInbound(event_id=f"staff-{number}", chat_id=STAFF_CHAT,
                                                   chat_kind="supergroup", user_id=THERAPIST, message_id=number,
                                                   text=text, button=button))  # fmt: skip


async def simulate(db: Database, content_dir: Path, config: SimConfig, on_day: Callable[[int, int], None] | None = None,
                   programme: Programme | None = None, until_primary: bool = False) -> SimResult:  # fmt: skip
    """Run one simulated trial into ``db`` (already at the current schema); ``programme``: the content
    with the simulator's overlay already loaded (``simulated_programme``), as repeated runs share it;
    ``until_primary``: stop once nothing later can change the primary analysis (a power run)."""
    await mark_simulated(db, START, {"seed": config.seed, "participants": config.participants, "effect": config.effect,
                                     "adherence": config.adherence, "dropout": config.dropout,
                                     "crossover_accept": config.crossover_accept})  # fmt: skip
    if programme is None:
        with tempfile.TemporaryDirectory(prefix="icbt-sim-site-") as folder:
            programme = simulated_programme(content_dir, Path(folder))
    return await Simulation(db, programme, config, content_dir, until_primary).run(on_day)


def charts_named(effects: Effects, code: str) -> None:
    """The simulator's pictures: a chart's message goes out naming its picture, which is not drawn.

    Synthetic people never look at a picture, and drawing one (matplotlib, a PNG) costs as much as a
    hundred answers; the engine still decides every chart and the message still carries it, as a name."""
    for index, out in enumerate(effects.outbound):
        if out.chart is not None:
            effects.outbound[index] = replace(
                out, image=f"{code}-{type(out.chart).__name__}.png (not drawn)", chart=None
            )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
