"""Issue 10's proof walk: one participant, weeks 0-11 on the simulated clock, through the service and
real storage (SQLite, and PostgreSQL when configured).

Unlike the diligent walk in test_programme_walk.py this participant behaves like a real one: they try
``/skip`` at the first sight of every step and every field (so every kind of step meets it), reopen a
finished module with ``/modules`` and read it only in part, look at ``/menu`` now and then, and
vanish for more than a week before catching up. Every message the bot sends is checked at the moment
it arrives against the participant's calendar: nothing may say a module "opens" on a day already
gone, call a module finished while its diary still runs, or place the participant anywhere but where
they really are.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.content.programme import Programme
from bot.content.schema import (
    ChoiceStep,
    ExerciseStep,
    FormStep,
    PageStep,
    QuestionnaireStep,
    QuestionStep,
    ScaleStep,
    TextStep,
)
from bot.engine import Inbound
from bot.engine.calendar import daily_window, module_opens_at
from bot.engine.model import Frame, ParticipantState
from bot.storage.models import Answer, Participant

CHAT = "9090"
TZ = "Europe/Stockholm"
DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) (\d{1,2}) ([A-Z][a-z]+)"
OPENS = re.compile(rf"opens {DAY}(?:, (\d\d):(\d\d))?")
UNTIL = re.compile(rf"until {DAY}")
NOT_OPTIONAL = "This one can't be skipped, but a short answer is fine."
KINDS = {"page", "choice", "text", "scale", "number", "form", "exercise", "question", "questionnaire", "report"}
STATEMENTS = {  # what the walk must have seen (and checked) at least once
    "opens on a date": OPENS.pattern,
    "until a date": UNTIL.pattern,
    "is open": r"A new module is open: |is open now|Next up is ",
    "finished": r"You have finished .+\. Well done\.",
    "menu place": r"You are in .+, step \d+ of",
    "menu next": r"Next: .+ opens",
}
FAILURE = ("Traceback", "something went wrong", "Sorry, I didn't")


def named_day(match: re.Match[str], today: date) -> date:
    """'Monday 19 January' as the nearest such date (the bot never names a year)."""
    parsed = datetime.strptime(f"{match.group(1)} {match.group(2)} {today.year}", "%d %B %Y").date()
    if parsed < today - timedelta(days=180):
        parsed = parsed.replace(year=today.year + 1)
    return parsed


class Person:
    """A participant on the other end of the service who checks every message as it arrives."""

    def __init__(self, service, sender, transport, clock, programme: Programme) -> None:
        self.service, self.sender, self.transport, self.clock = service, sender, transport, clock
        self.programme = programme
        self.update_id = 0
        self.seen = 0
        self.transcript: list[str] = []
        self.stale: list[str] = []
        self.skip_tried: set[tuple] = set()
        self.skipped: dict[str, list[str]] = {}  # kind of step -> what /skip did there
        self.checked: dict[str, int] = {}  # kind of statement -> how many were checked

    # -- talking ---------------------------------------------------------------------------------
    async def send(self, inbound: Inbound, shown: str) -> None:
        self.update_id += 1
        self.transcript.append(f"[{self.clock.now():%Y-%m-%d %H:%M}] you: {shown}")
        await self.service.handle("test", CHAT, str(self.update_id), inbound)
        await self.sender.drain()
        await self.collect()

    async def command(self, name: str) -> None:
        await self.send(Inbound(kind="command", text=name), f"/{name}")

    async def press(self, label: str) -> None:
        buttons = {b["label"]: b["data"] for row in self.last()["buttons"] for b in row}
        assert label in buttons, f"no {label!r} in {list(buttons)}:\n" + self.tail()
        await self.send(Inbound(kind="choice", text=buttons[label]), f"[{label}]")

    def last(self) -> dict:
        return self.transport.sent[CHAT][-1]

    def labels(self) -> list[str]:
        return [b["label"] for row in self.last()["buttons"] for b in row]

    def tail(self, n: int = 25) -> str:
        return "\n".join(self.transcript[-n:])

    async def state(self) -> ParticipantState:
        async with self.service.db.reading() as session:
            row = (await session.scalars(select(Participant).where(Participant.chat_id == CHAT))).one()
        state = ParticipantState(code=row.code, language="en", timezone=TZ, status=row.status)
        state.start_date = row.start_date
        state.load_position(row.position)
        return state

    async def answer_count(self) -> int:
        async with self.service.db.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(Answer)) or 0)

    # -- what every message is checked against ---------------------------------------------------
    async def collect(self) -> None:
        new = self.transport.sent[CHAT][self.seen :]
        self.seen = len(self.transport.sent[CHAT])
        if not new:
            return
        state = await self.state()
        for payload in new:
            text = payload["text"]
            self.transcript.append(f"[{self.clock.now():%Y-%m-%d %H:%M}] bot: {text}")
            for problem in self.stale_in(text, state):
                self.stale.append(f"{self.clock.now():%Y-%m-%d %H:%M} {problem}: {text[:160]!r}")

    def opens(self, state: ParticipantState, title: str) -> datetime:
        module = next(m for m in self.programme.scheduled if self.programme.text(m.title, "en") == title)
        assert state.start_date is not None
        return module_opens_at(state.start_date, module, self.programme.spec.release_hour, TZ)

    def stale_in(self, text: str, state: ParticipantState) -> list[str]:
        """Every date or state the text states, against the participant's calendar right now."""
        now = self.clock.now()
        local = now.astimezone(ZoneInfo(TZ))
        problems = [f"failure text {k!r}" for k in FAILURE if k in text]
        for name, pattern in STATEMENTS.items():
            if re.search(pattern, text):
                self.checked[name] = self.checked.get(name, 0) + 1
        if "opens in a week" in text:
            problems.append("a fixed 'in a week' instead of a date")
        for match in OPENS.finditer(text):
            day = named_day(match, local.date())
            if match.group(3):
                moment = datetime.combine(day, datetime.min.time(), ZoneInfo(TZ)).replace(
                    hour=int(match.group(3)), minute=int(match.group(4))
                )
                if moment <= now:
                    problems.append("'opens' at a moment already past")
            elif day < local.date():
                problems.append("'opens' on a day already past")
        for match in UNTIL.finditer(text):
            if named_day(match, local.date()) < local.date():
                problems.append("'until' a day already past")
        titles = [self.programme.text(m.title, "en") for m in self.programme.scheduled]
        for title in titles:
            said_open = (f"A new module is open: {title}.", f"{title} is open now", f"Next up is {title}.")
            if any(s in text for s in said_open) and self.opens(state, title) > now:
                problems.append(f"{title} called open before it opens")
            if f"Next: {title} opens" in text and self.opens(state, title) <= now:
                problems.append(f"{title} announced as coming although it is open")
            if f"You have finished {title}. Well done." in text:
                problems.extend(self.finished_too_early(state, title))
        where = re.search(r"You are in (.+?), step (\d+) of", text)
        if where:
            real = next((f for f in reversed(state.frames) if f.detour is None and not f.daily), None)
            if real is None or self.programme.text(self.programme.modules[real.module].title, "en") != where[1]:
                problems.append("/menu names a place that is not the real one")
        if "You have finished everything that is open right now" in text and state.start_date is not None:
            open_unfinished = [
                m.id
                for m in self.programme.scheduled
                if m.id not in state.finished and self.opens(state, self.programme.text(m.title, "en")) <= now
            ]
            if open_unfinished:
                problems.append(f"'finished everything open' while {open_unfinished} are open")
        return problems

    def finished_too_early(self, state: ParticipantState, title: str) -> list[str]:
        module = next(m for m in self.programme.scheduled if self.programme.text(m.title, "en") == title)
        today = self.clock.now().astimezone(ZoneInfo(TZ)).date()
        assert state.start_date is not None
        running = [
            d.id for d in module.daily if d.after is None and daily_window(state.start_date, module, d)[1] > today
        ]
        return [f"'finished' {title} while {running} still run"] if running else []

    # -- answering like a cooperative person who tries /skip first ----------------------------------
    def kind_at(self, frame: Frame) -> str:
        step = self.programme.step(frame.module, frame.step)
        if isinstance(step, FormStep):
            field = step.fields[frame.part] if frame.part < len(step.fields) else None
            if field is not None and field.kind == "number":
                return "number"
            return "report" if frame.detour == "report" else "form"
        if isinstance(step, ExerciseStep):
            if frame.stage == "log" and frame.part < len(step.log) and step.log[frame.part].kind == "number":
                return "number"
            return "exercise"
        for cls, kind in ((PageStep, "page"), (ChoiceStep, "choice"), (TextStep, "text"), (ScaleStep, "scale"),
                          (QuestionStep, "question"), (QuestionnaireStep, "questionnaire")):  # fmt: skip
            if isinstance(step, cls):
                return kind
        return step.kind

    async def try_skip(self, frame: Frame) -> bool:
        """``/skip`` at the first sight of a step or field of a programme module (weeks 0-11, the weekly
        report included); True if it moved on."""
        key = (frame.module, frame.step, frame.part, frame.stage, frame.daily)
        if frame.daily or frame.detour in ("module", "step") or key in self.skip_tried:
            return False
        module = self.programme.modules.get(frame.module)
        if module is None or module.week is None:
            return False
        self.skip_tried.add(key)
        kind = self.kind_at(frame)
        before = await self.answer_count()
        staff_before = len(self.transport.sent.get("staff", []))
        await self.command("skip")
        after = (await self.state()).frame
        moved = after is None or (after.module, after.step, after.part, after.stage) != key[:4]
        text = self.last()["text"]
        staff = self.transport.sent.get("staff", [])[staff_before:]
        assert not any("/skip" in p["text"] for p in staff), "a /skip reached the therapist"
        if kind in ("page", "question"):
            assert moved, f"/skip at a {kind} did not move on:\n" + self.tail()
        if not moved:
            assert text == NOT_OPTIONAL, f"/skip at a {kind} neither moved on nor said why:\n" + self.tail()
            assert await self.answer_count() == before, "a refused /skip stored something"
        self.skipped.setdefault(kind, []).append("moved on" if moved else "refused kindly")
        return moved

    async def answer_once(self) -> None:
        state = await self.state()
        if state.frame is not None and await self.try_skip(state.frame):
            return
        labels = self.labels()
        buttons = [b for row in self.last()["buttons"] for b in row]
        if "Continue ›" in labels:
            await self.press("Continue ›")
        elif "I agree to take part" in labels:
            await self.press("I agree to take part")
        elif labels and labels != ["Skip"]:
            chosen = buttons[min(3, len(buttons) - 1)] if labels[0] == "0" else buttons[0]
            await self.send(Inbound(kind="choice", text=chosen["data"]), f"[{chosen['label']}]")
        else:
            numeric = ("minute", "number", "0 (", "from 0", "100")
            text = "10" if any(k in self.last()["text"] for k in numeric) else "Walk for ten minutes"
            await self.send(Inbound(kind="text", text=text), text)

    async def busy(self) -> bool:
        state = await self.state()
        offer = any(b == "Fill it in now" for b in self.labels()) if self.transport.sent[CHAT] else False
        return bool(state.frames) or offer

    async def answer_until_idle(self, limit: int = 900) -> None:
        for _ in range(limit):
            if not await self.busy():
                return
            await self.answer_once()
        raise AssertionError("the participant never became idle:\n" + self.tail())

    async def live(self, days: float, respond: bool = True) -> None:
        """Let time pass hour by hour, answering whatever arrives (unless ``respond`` is False)."""
        end = self.clock.now() + timedelta(days=days)
        while self.clock.now() < end:
            self.clock.advance(timedelta(hours=1))
            await self.service.tick_due()
            await self.sender.drain()
            await self.collect()
            if respond:
                await self.answer_until_idle()


@pytest.fixture
def person(service, sender, transport, clock, programme) -> Person:
    return Person(service, sender, transport, clock, programme)


async def answer_until(person: Person, module: str, step: str, limit: int = 300) -> None:
    for _ in range(limit):
        frame = (await person.state()).frame
        if frame is not None and (frame.module, frame.step) == (module, step) and frame.detour is None:
            return
        await person.answer_once()
    raise AssertionError(f"{module}.{step} not reached:\n" + person.tail())


async def read_module_again(person: Person, title: str, leave_after: int | None = None) -> None:
    """/modules, reopen ``title``, and skip through it (by command and by button alternately); with
    ``leave_after`` tap "Back to where I was" after that many steps instead of reaching the end."""
    await person.command("modules")
    await person.press(title)
    assert person.transport.sent[CHAT][-2]["text"].startswith(f"Here is {title} again.")
    for count in range(200):
        state = await person.state()
        frame = state.frame
        if frame is None or frame.detour != "module":
            return
        assert "Skip this ›" in person.labels() and "Back to where I was" in person.labels(), person.tail()
        if count == 3:
            await person.command("menu")  # the menu tells the real place, not the module being read
            continue
        if leave_after is not None and count == leave_after:
            await person.press("Back to where I was")
            continue
        if count % 2:
            await person.command("skip")
        else:
            await person.press("Skip this ›")
    raise AssertionError("the reread never ended:\n" + person.tail())


async def test_a_real_participant_through_weeks_0_to_11(person, programme, clock):
    began = clock.now()
    await person.command("start")
    await person.answer_until_idle()
    assert (await person.state()).status == "active"

    # Weeks 0-2 as they come; then away for the whole of week 3 (module 2 opens unseen).
    await person.live(days=21)
    await person.live(days=7, respond=False)
    clock.advance(timedelta(hours=2))  # week 4 opens at 09:00 while module 2 is still waiting
    await person.service.tick_due()
    await person.sender.drain()
    await person.collect()
    away = [line.split("bot: ", 1)[1] for line in person.transcript if "bot: " in line]
    assert "A new module is open: Module 2: Moving your body." in away
    assert any(t.startswith("Module 3: Pacing and thoughts is open now.") for t in away), person.tail()

    # Back: catching up on module 2, module 3 follows; half-way through module 3, module 1 is read again.
    await person.command("menu")
    await answer_until(person, "week04", "activity_intro")
    state = await person.state()
    assert "week03" in state.finished, "module 2 was caught up before module 3"
    place = state.frame
    answers = await person.answer_count()
    await read_module_again(person, "Module 1: Understanding pain")
    assert any("That was the end of Module 1: Understanding pain." in line for line in person.transcript[-4:])
    back = (await person.state()).frame
    assert back is not None and (back.module, back.step, back.detour) == (place.module, place.step, None)
    # ...and module 2 is opened, glanced at and left part-way: back means back to where they were.
    await read_module_again(person, "Module 2: Moving your body", leave_after=5)
    back = (await person.state()).frame
    assert back is not None and (back.module, back.step, back.detour) == (place.module, place.step, None)
    assert await person.answer_count() == answers, "reading a module again stores nothing and forces nothing"
    state = await person.state()
    assert state.finished.count("week02") == 1 and state.finished.count("week03") == 1

    # The rest of the programme, to the end of the post weeks.
    await person.answer_until_idle()
    await person.live(days=(began + timedelta(days=7 * 12 + 1) - clock.now()) / timedelta(days=1))
    state = await person.state()
    assert state.status == "completed", person.tail()

    assert person.stale == [], "stale or false text:\n" + "\n".join(person.stale)
    assert set(person.checked) == set(STATEMENTS), f"never seen: {set(STATEMENTS) - set(person.checked)}"
    assert set(person.skipped) >= KINDS, f"/skip never met: {KINDS - set(person.skipped)}"
    for kind in ("page", "question", "exercise"):
        assert set(person.skipped[kind]) == {"moved on"}, kind
    sent = [p["text"] for p in person.transport.sent.get("staff", [])]
    assert not any("/skip" in text for text in sent), "a /skip reached the therapist"


def test_the_checks_catch_the_stale_texts_the_issue_found(programme, clock):
    """The walk's checks are not vacuous: each stale text once reported is caught."""
    person = Person(None, None, None, clock, programme)
    state = ParticipantState(code="P-1", language="en", timezone=TZ, status="active")
    state.start_date = date(2025, 11, 26)  # module 6 (week 7) opened on Wednesday 14 January
    clock.set(datetime(2026, 1, 28, 7, 0, tzinfo=ZoneInfo("UTC")))  # 08:00 local: module 8 opens at 09:00
    state.frames = [Frame(module="week09", step="welcome"), Frame(module="week02", step="goals", detour="module")]
    caught = {
        "Next: Module 6: Communication and conflict opens Wednesday 14 January, 09:00.": "opens",
        "Module 6: Communication and conflict opens Wednesday 14 January, 09:00. I'll send you a message then.": "past",
        "The next module opens in a week.": "in a week",
        "You are in Module 1: Understanding pain, step 3 of 17: Goals. 15 steps to go in this module.": "real one",
        "A new module is open: Module 8: Keeping it going.": "before it opens",
        "Daily practice carries on each day until Monday 26 January.": "until",
    }
    for text, problem in caught.items():
        assert any(problem in p for p in person.stale_in(text, state)), text
    assert person.stale_in("Next: Module 8: Keeping it going opens Wednesday 28 January, 09:00.", state) == []
    clock.set(datetime(2026, 2, 4, 10, 0, tzinfo=ZoneInfo("UTC")))  # day 1 of the post weeks
    post = programme.text(programme.modules["post"].title, "en")
    assert person.stale_in(f"You have finished {post}. Well done.", state)
