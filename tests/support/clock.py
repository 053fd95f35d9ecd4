"""Helpers for the participant's-clock tests: local times, a participant who has started, and two ways
of letting time pass (a tick every quarter hour, or the sweep's jumps to ``next_due``); a participant on a
module's first page, and the days the clocks change in spring and autumn."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.content.programme import Programme
from bot.engine import Inbound, Outbound
from bot.storage.models import Participant as StoredParticipant
from tests.support import Participant, finish_current_module
from tests.support.chat import pressing

STOCKHOLM, NEW_YORK = "Europe/Stockholm", "America/New_York"
QUARTER = timedelta(minutes=15)
Offer = tuple[datetime, Outbound]


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def at(day: date, hh: int, mm: int, tz: str) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def started(programme: Programme, tz: str, consent_day: date) -> Participant:
    """A participant who consented at 10:00 local on ``consent_day`` and finished the baseline then."""
    p = Participant(programme, FakeClock(at(consent_day, 10, 0, tz)), tz=tz)
    p.through_consent()
    finish_current_module(p)
    assert p.state.frames == [] and p.state.start_date == consent_day
    return p


def twin_of(p: Participant) -> Participant:
    """An independent copy of a participant (state, clock and what they have seen so far)."""
    twin = Participant(p.engine.programme, FakeClock(p.clock.now()), tz=p.state.timezone)
    twin.state, twin.effects = copy.deepcopy(p.state), list(p.effects)
    return twin


def offers(effects_list, prefix: str = "") -> list[Outbound]:
    return [o for e in effects_list for o in e.outbound if o.dedup_key and o.dedup_key.startswith(prefix)]


def step_through(p: Participant, until: datetime, step: timedelta = QUARTER) -> list[Offer]:
    """Tick every ``step`` (a sweep that runs all the time): what went out, and when."""
    sent: list[Offer] = []
    while p.clock.now() < until:
        p.clock.advance(step)
        sent.extend((p.clock.now(), o) for o in p.tick().outbound)
    return sent


def sweep_through(p: Participant, until: datetime, react: Callable[[Participant], None] | None = None) -> list[Offer]:
    """Wake the participant only at ``next_due``, as the real sweep does; it must never spin."""
    sent: list[Offer] = []
    for _ in range(2000):
        due = p.engine.next_due(p.state, p.clock.now())
        if due is None or due > until:
            return sent
        p.clock.set(max(due, p.clock.now()))
        sent.extend((p.clock.now(), o) for o in p.tick().outbound)
        if react is not None:
            react(p)
        after = p.engine.next_due(p.state, p.clock.now())
        assert after is None or after > p.clock.now(), "next_due must move on after a tick (else the sweep spins)"
    raise AssertionError("the sweep did not reach the end")


def diary_offers(sent: list[Offer], tz: str) -> list[tuple[date, time]]:
    return [(local(t, tz).date(), local(t, tz).time()) for t, o in sent if o.dedup_key and "pain_diary" in o.dedup_key]


def set_by_buttons(p: Participant, item_label: str, choice_label: str) -> None:
    p.command("settings")
    p.press(item_label)
    p.press(choice_label)


class Chat:
    """One participant talking to the service the way a channel would."""

    def __init__(self, service, sender, transport) -> None:
        self.service, self.sender, self.transport, self.update = service, sender, transport, 0

    async def send(self, inbound: Inbound) -> None:
        self.update += 1
        await self.service.handle("test", "77", f"u{self.update}", inbound)
        await self.sender.drain()

    async def press(self, label: str | None = None) -> None:
        await self.send(pressing(self.transport.sent["77"], label))

    async def row(self, db) -> StoredParticipant:
        async with db.reading() as session:
            return (await session.scalars(select(StoredParticipant).where(StoredParticipant.chat_id == "77"))).one()


CONSENT = date(2026, 1, 5)


def at_module_start(programme, module: str, week: int) -> Participant:
    """A participant whose earlier modules are done, on the first page of ``module`` when it opens."""
    p = started(programme, STOCKHOLM, CONSENT)
    p.state.finished += [m for m in ("week02", "week03", "week04", "week05", "week06", "week07", "week08")
                         if programme.modules[m].week < week]  # fmt: skip
    p.clock.set(at(CONSENT + timedelta(days=7 * week), 10, 0, STOCKHOLM))
    opened = p.tick()
    assert p.state.frame.module == module and p.state.frame.step == "welcome"
    [next_] = [b for o in opened.outbound for row in o.buttons for b in row if b.label == "Next ›"]
    p.send(Inbound(kind="choice", text=next_.data))
    return p


SPRING_CHANGES = [
    pytest.param(STOCKHOLM, date(2026, 3, 29), id="stockholm"),
    pytest.param(NEW_YORK, date(2026, 3, 8), id="new-york"),
]


AUTUMN_CHANGES = [
    pytest.param(STOCKHOLM, date(2026, 10, 25), id="stockholm"),
    pytest.param(NEW_YORK, date(2026, 11, 1), id="new-york"),
]
