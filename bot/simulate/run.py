"""``icbt simulate``: a whole trial of synthetic people through the real engine on the simulated clock.

Hour by hour: people arrive and write ``/start``; staff enter their application, interview them and —
after the person agrees in the chat — make the concealed draw with the trial service (``bot/trial``),
as they would today (the chat does not yet ask the application or make the draw itself). Due
participants are ticked, due messages are handed to an in-memory transport, and every person who
uses the bot that day answers whatever waits for them (``bot/simulate/chat.py``).

Each arm runs the engine over its own calendar from ``trial.yaml``: the waiting list's phases are
the baseline and the post weeks (its "waiting" weeks have no modules). This stands in for the arm
calendar in the chat until the engine reads the allocation itself.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.content.programme import Programme
from bot.engine import Engine, Inbound
from bot.engine.model import Policy
from bot.service import ConversationService
from bot.service_measures import SymptomPolicy
from bot.simulate.chat import Chat, SimTransport
from bot.simulate.overlay import simulated_programme
from bot.simulate.people import Person, SimConfig, application, decide_change, make_people
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.trial.arms import WAITING, local_day
from bot.trial.eligibility import active_screens
from bot.trial.service import TrialService

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
TIMEZONE = "Europe/Stockholm"
WEEKS = 12  # baseline, eight modules, post
GRACE_WEEKS = 4  # time for people who fell behind to reach the post questionnaires
STAFF = "simulator"
SIM_SEED = b"icbt-simulator-seed-not-for-a-real-trial"


@dataclass(frozen=True)
class SimResult:
    applied: int
    randomized: dict[str, int]
    answers_sent: int
    finished_at: datetime


def arm_programme(programme: Programme, arm_id: str) -> Programme:
    """The programme over one arm's calendar: its phases without the waiting weeks."""
    assert programme.trial is not None
    phases = [p.phase for p in programme.trial.arm(arm_id).calendar if p.phase != WAITING]
    spec = programme.spec.model_copy(update={"phases": tuple(p for p in programme.spec.phases if p.id in phases)})
    return dataclasses.replace(programme, spec=spec)


class Simulation:
    """One simulated trial on one database."""

    def __init__(self, db: Database, programme: Programme, config: SimConfig) -> None:
        if programme.trial is None:
            raise ValueError("the content has no trial/trial.yaml: there is no trial to simulate")
        self.db, self.programme, self.config = db, programme, config
        self.rng = np.random.default_rng(config.seed)
        self.clock = FakeClock(START)
        self.transport = SimTransport(db, self.clock)
        self.services = {arm.id: self._service(arm_programme(programme, arm.id)) for arm in programme.trial.arms}
        self.intake = self._service(programme)  # before the draw everyone sees the same onboarding
        self.trial = TrialService(db, programme, self.clock, seed=SIM_SEED)
        self.people = make_people(config, self.rng)
        self.chats = {p.chat: Chat(p, self.transport, self.rng) for p in self.people}
        self.answers_sent = 0

    def _service(self, programme: Programme) -> ConversationService:
        return ConversationService(
            self.db, Engine(programme, Policy(staff_available=False)), self.clock, timezone=TIMEZONE, language="en",
            symptoms=SymptomPolicy(), charts_dir=Path(tempfile.gettempdir()) / "icbt-sim-charts",
        )  # fmt: skip

    def service_of(self, person: Person) -> ConversationService:
        return self.services[person.arm] if person.arm is not None else self.intake

    async def run(self, on_day: Callable[[int, int], None] | None = None) -> SimResult:
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
            while waiting and START + timedelta(days=waiting[0].arrives) <= now:
                await self.arrive(waiting.pop(0))
            if await self._someone_due(now):
                for arm, service in self.services.items():
                    ids = {p.participant_id for p in self.people if p.arm == arm and p.participant_id is not None}
                    if ids:
                        await service.tick_due(among=ids)
                await self.transport.deliver()
            if 7 <= now.astimezone(self._zone()).hour <= 21:
                for person in self.people:
                    chat = self.chats[person.chat]
                    if person.arm is not None and engaged[person.chat] and chat.unread():
                        await self._answer(person)
            self.clock.advance(timedelta(hours=1))
        counts = {arm: sum(1 for p in self.people if p.arm == arm) for arm in self.services}
        return SimResult(len(self.people), counts, self.answers_sent, self.clock.now())

    async def _someone_due(self, now: datetime) -> bool:
        async with self.db.reading() as session:
            first = await session.scalar(select(func.min(Participant.next_due_at)))
        return first is not None and _aware(first) <= now

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(TIMEZONE)

    def _week(self, person: Person) -> int | None:
        if person.arm is None or person.participant_id is None:
            return None
        return int((self.clock.now() - START).days - person.arrives) // 7

    async def _answer(self, person: Person) -> None:
        chat = self.chats[person.chat]
        self.answers_sent += await chat.answer_until_idle(self.service_of(person), self.programme)

    async def arrive(self, person: Person) -> None:
        """``/start``, the application and interview (entered by staff), consent in the chat, the draw."""
        chat = self.chats[person.chat]
        await chat.send(self.intake, Inbound(kind="command", text="start"))
        await self.transport.deliver()
        state = await chat.state(self.intake)
        assert state is not None and person.participant_id is not None and person.code is not None
        screens = {s.instrument: self.programme.instruments[s.instrument]
                   for s in active_screens(self.programme.trial, self.programme.instruments)}  # type: ignore[arg-type]  # fmt: skip
        answers = application(person, local_day(self.clock.now(), TIMEZONE), screens, self.rng)
        result = await self.trial.apply(person.participant_id, answers)
        if not result.eligible:
            return
        if not person.eligible:
            await self.trial.interviewed(person.code, "exclude", "other treatment for back pain under way", STAFF)
            return
        await self.trial.interviewed(person.code, "include", None, STAFF)
        self.answers_sent += await chat.answer_until_idle(self.intake, self.programme,
                                                          until=lambda state: state.status == "active")  # fmt: skip
        allocation = await self.trial.allocate(person.participant_id)
        person.arm = allocation.arm
        decide_change(person, self.config, self.rng)
        await self.transport.deliver()
        self.answers_sent += await chat.answer_until_idle(self.service_of(person), self.programme)


async def simulate(db: Database, content_dir: Path, config: SimConfig,
                   on_day: Callable[[int, int], None] | None = None) -> SimResult:  # fmt: skip
    """Run one simulated trial into ``db`` (already at the current schema)."""
    with tempfile.TemporaryDirectory(prefix="icbt-sim-site-") as folder:
        programme = simulated_programme(content_dir, Path(folder))
        return await Simulation(db, programme, config).run(on_day)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
