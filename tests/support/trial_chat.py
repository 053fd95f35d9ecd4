"""The trial in the chat through the real service: an applicant's way from /start to the draw."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import conversation_service
from bot.charts.files import PictureWriter
from bot.conversation.decisions import Decisions
from bot.conversation.service import DEFAULT_CHARTS_DIR
from bot.engine import Inbound
from bot.engine.model import Policy
from bot.features import build_engine
from bot.storage.models import Participant
from bot.trial.allocation import ArmWeight, allocation_at, stratum_of
from bot.trial.chat import TrialChat
from bot.trial.service import TrialService
from tests.support.chat import CHAT, Driver
from tests.support.trial import SEED

TYPED = {
    "age": "47", "sex": "Female", "internet": "Yes", "physician": "yes", "pain_region": "Lower back",
    "pain_since": "2024-09-01", "work": "I am on sick leave", "sick_leave_months": "2", "wheelchair": "No",
    "surgery_planned": "no", "heart_disease": "no", "contact": "Weekday mornings",
    "warning_now": "no", "warning_today": "no", "warning_soon": "no", "country": "Sweden",
    "safety_phone": "070-123 45 67", "doctor": "Centrum health centre",
}  # fmt: skip


def trial_chat_for(db, programme, clock, sender, transport) -> tuple[TrialChat, Driver]:
    """The trial in the chat through the real service: the TrialChat and a driver for the participant."""
    trial = TrialService(db, programme, clock, seed=SEED, staff_target=("test", "staff"), wake_sender=sender.wake.set)
    engine = build_engine(programme, Policy(trial=True))
    decisions = Decisions(db, engine, clock, PictureWriter(DEFAULT_CHARTS_DIR), sender.wake.set)
    trial_chat = TrialChat(trial, engine, decisions.decide_in)
    service = conversation_service(
        db, engine, clock, timezone="Europe/Stockholm", language="en",
        staff_target=("test", "staff"), wake_sender=sender.wake.set, on_trial=trial_chat.run,
        after_sweep=trial_chat.draws_due, decisions=decisions,
    )  # fmt: skip
    return trial_chat, Driver(service, sender, transport)


async def through_welcome(chat: Driver, programme) -> None:
    intro = programme.msg("en", "trial.apply_intro")
    await chat.send(Inbound(kind="command", text="start"))
    for _ in range(20):
        if intro in chat.transport.texts(CHAT):
            return
        await chat.press()
    raise AssertionError("the application did not start after the welcome")


async def apply(chat: Driver, programme, typed: dict[str, str], mood: int = 0) -> None:
    """Answer each question as it comes (typed, or the button's label), then every screening item."""
    questions = {programme.text(q.text, "en"): q.id for q in programme.trial.questions}
    for _ in range(60):
        last = chat.transport.sent[CHAT][-1]
        if last["text"] in questions:
            await chat.send(Inbound(kind="text", text=typed[questions[last["text"]]]))
        elif last["text"].startswith("Question "):
            labels = [b["label"] for row in last["buttons"] for b in row]
            await chat.press(labels[mood])
        else:
            return
    raise AssertionError(chat.transport.texts(CHAT)[-6:])


def consent_shown(transport) -> bool:
    return any("I agree to take part" in str(p["buttons"]) for p in transport.sent[CHAT])


def sex_drawn_into(programme, arm: str) -> str:
    """A sex answer whose stratum's first draw (with the test seed) is ``arm``."""
    spec = programme.trial
    weights = [ArmWeight(a.id, a.weight) for a in spec.arms]
    for option in spec.questions[1].options:
        stratum = stratum_of(spec.strata, {"sex": option.id})
        if allocation_at(SEED, weights, spec.block_sizes, stratum, 0, spec.max_imbalance) == arm:
            return programme.text(option.label, "en")
    raise AssertionError(f"no stratum starts with {arm}")


async def include_and_agree(chat: Driver, trial_chat, sender, transport, reason: str | None = None) -> None:
    """The therapist includes P-0001 after the interview; the participant reads the consent and agrees."""
    await trial_chat.record_interview("P-0001", "include", reason, by="therapist:1")
    await sender.drain()
    for _ in range(10):
        if consent_shown(transport):
            break
        await chat.press()
    await chat.press("I agree to take part")


async def to_consent(chat: Driver, programme, trial_chat, sender, transport, arm: str) -> None:
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "sex": sex_drawn_into(programme, arm)})
    await include_and_agree(chat, trial_chat, sender, transport)


async def answer_on(chat: Driver, until, limit: int = 400) -> None:
    """Answer as a cooperative participant (the first button, else "5") until ``until()`` is true."""
    for _ in range(limit):
        if await until():
            return
        last = chat.transport.sent[CHAT][-1]
        if last["buttons"]:
            await chat.press()
        else:
            await chat.send(Inbound(kind="text", text="5"))
    raise AssertionError(chat.transport.texts(CHAT)[-4:])


async def baseline_finished(db) -> bool:
    async with db.reading() as session:
        row = await session.scalar(select(Participant))
    return "baseline" in (row.position or {}).get("finished", [])


async def to_allocation(chat: Driver, programme, trial_chat, sender, transport, arm: str, clock=None) -> None:
    """Consent, the baseline module answered, then the two weeks of baseline pass and the draw is told."""
    await to_consent(chat, programme, trial_chat, sender, transport, arm)
    await answer_on(chat, lambda: baseline_finished(trial_chat.trial.db))
    assert clock is not None
    clock.advance(timedelta(days=14, hours=10))
    await chat.service.tick_due()
    await sender.drain()


def told(programme, arm: str) -> str:
    return programme.text(programme.trial.arm(arm).told, "en").strip()
