"""Both arms walked whole through the real chat on the fake clock: /start, the application, the
therapist's /interviewed in the staff group, the consent, the baseline questionnaires and diary, the
draw, the arm's calendar, the post measurement and, for the waiting list, the crossover into the
programme. Along the way no stored answer or score changes once its administration has closed, and
reading every finished module again (in every phase) stores no answer to a questionnaire and no score.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.engine import Inbound
from bot.storage.models import Answer, Participant, RelayItem
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_relay import RelayTask
from bot.storage.tables_trial import TrialAllocation
from tests.support.chat import CHAT, Driver
from tests.support.relay import ANNA, relay_config, relay_service, staff_msg
from tests.support.trial_chat import TYPED, apply, sex_drawn_into, through_welcome, trial_chat_for

Snapshot = tuple[dict[int, Any], dict[int, Any]]


async def position(db) -> dict[str, Any]:
    async with db.reading() as session:
        row = await session.scalar(select(Participant))
    return row.position or {}


async def snapshot(db) -> Snapshot:
    """Every stored answer and score by id, with what it holds."""
    async with db.reading() as session:
        answers = {a.id: (a.module_id, a.step_id, a.field_id, a.entry_id, a.value, a.answered_at)
                   for a in await session.scalars(select(Answer))}  # fmt: skip
        scores = {
            s.id: (s.module_id, s.step_id, s.total, s.subscales, s.at) for s in await session.scalars(select(ScoreRow))
        }
    return answers, scores


def unchanged(before: Snapshot, after: Snapshot) -> None:
    """What was stored before is still there exactly as it was (later rows may only be added)."""
    for old, new in zip(before, after, strict=True):
        assert {k: new.get(k) for k in old} == old


async def cooperate(chat: Driver, db, limit: int = 800) -> None:
    """Answer whatever the participant is in the middle of (first button, "Continue ›", else "5")."""
    for _ in range(limit):
        if not (await position(db)).get("frames"):
            return
        last = chat.transport.sent[CHAT][-1]
        labels = [b["label"] for row in last["buttons"] for b in row]
        if "Continue ›" in labels:
            await chat.press("Continue ›")
        elif labels:
            await chat.press()
        else:
            await chat.send(Inbound(kind="text", text="5"))
    raise AssertionError(chat.transport.texts(CHAT)[-3:])


async def live(chat: Driver, db, clock, days: int, relay=None) -> None:
    """Days pass; each day the participant does what has opened (and the relay's timed pass runs)."""
    for _ in range(days):
        clock.advance(timedelta(days=1))
        await chat.service.tick_due()
        if relay is not None:
            await relay.sweep()
        await chat.sender.drain()
        await cooperate(chat, db)


async def staff_items(db) -> tuple[list[str], list[str]]:
    """The relay's items (their sources) and tasks (their kinds) so far."""
    async with db.reading() as session:
        items = [r.source for r in await session.scalars(select(RelayItem).order_by(RelayItem.id))]
        tasks = [t.kind for t in await session.scalars(select(RelayTask).order_by(RelayTask.id))]
    return items, tasks


async def reread_every_module(chat: Driver, db) -> None:
    """/modules, each finished module in turn, read to its end; nothing of its measurements is asked."""
    finished = (await position(db)).get("finished", [])
    for module in [m for m in finished if m not in ("welcome", "consent")]:
        await chat.send(Inbound(kind="command", text="modules"))
        buttons = [b for row in chat.transport.sent[CHAT][-1]["buttons"] for b in row]
        title = chat.service.engine.programme.text(chat.service.engine.programme.modules[module].title, "en")
        button = next(b for b in buttons if b["label"] == title)
        await chat.send(Inbound(kind="choice", text=button["data"]))
        await cooperate(chat, db)


@pytest.mark.parametrize("arm", ["treatment", "waiting_list"])
async def test_an_arm_from_start_to_the_end_changes_no_closed_measurement(db, programme, clock, sender, transport, arm):
    trial_chat, chat = trial_chat_for(db, programme, clock, sender, transport)
    relay = relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)
    trial_chat.register(relay.registry)
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "sex": sex_drawn_into(programme, arm)})
    await relay.handle_staff(staff_msg("/interviewed P-0001 include", user=ANNA))  # the therapist, in the group
    await sender.drain()
    for _ in range(20):
        labels = [b["label"] for row in transport.sent[CHAT][-1]["buttons"] for b in row]
        if "I agree to take part" in labels:
            await chat.press("I agree to take part")
            break
        await chat.press()
    await cooperate(chat, db)  # the baseline module: questionnaires and the first diary entry
    baseline = await snapshot(db)
    assert {s[1] for s in baseline[1].values()} >= {"phq9", "pain_rating"}, "baseline measured before the draw"
    async with db.reading() as session:
        assert await session.scalar(select(TrialAllocation)) is None
    await reread_every_module(chat, db)  # reading Getting started again, before the draw
    unchanged(baseline, await snapshot(db))
    assert len((await snapshot(db))[1]) == len(baseline[1])

    clock.advance(timedelta(hours=3))  # the participant looks in late each morning, after the 09:00 openings
    await live(chat, db, clock, 14)  # the baseline diary's two weeks; then the draw
    told = programme.text(programme.trial.arm(arm).told, "en").strip()
    assert told in [t.strip() for t in transport.texts(CHAT)]
    week = await snapshot(db)
    for n in range(2, 13):  # weeks 2-12 of the arm's calendar; every module re-read at the end of each phase
        await live(chat, db, clock, 7, relay)
        if n in (9, 12):
            await reread_every_module(chat, db)
        now = await snapshot(db)
        unchanged(week, now)
        week = now
    finished = (await position(db)).get("finished", [])
    assert "post" in finished, "the post measurement was given"
    post_scores = {s[1] for s in week[1].values() if s[0] == "post"}
    assert {"phq9", "pain_rating"} <= post_scores
    mood = sorted((s[0], s[1]) for s in week[1].values() if s[1] == "mood_check" or s[0] == "mood_watch")
    items, tasks = await staff_items(db)
    if arm == "treatment":
        assert {f"week0{n}" for n in range(2, 10)} <= set(finished)
        assert mood == [(m, "mood_check") for m in ("week03", "week05", "week07", "week09")], "every second week"
        assert tasks.count("call") == 1, "the week-2 call at the start of module 1"
        return
    assert not any(m.startswith("week0") for m in finished), "nothing of the programme while waiting"
    assert mood == [("mood_watch", f"week0{n}") for n in (2, 4, 6, 8)], "every second week while waiting"
    assert "call" not in tasks, "no week-2 call while waiting"
    assert not any(source.startswith("alert:diary_missed") for source in items), "no diary alert while waiting"
    post_words = programme.text(programme.modules["post"].steps[0].text_for_arm["waiting_list"], "en").strip()
    assert post_words in [t.strip() for t in transport.texts(CHAT)], "the waiting list's own words at post"
    assert not any("You have read, practised" in t for t in transport.texts(CHAT))
    await live(chat, db, clock, 7)
    offer = programme.text(programme.trial.arm("waiting_list").crossover_offer, "en")
    assert offer in transport.texts(CHAT)
    sent = next(p for p in reversed(transport.sent[CHAT]) if p["text"] == offer)
    yes = next(b for row in sent["buttons"] for b in row if b["label"] == "Yes, let's start")
    await chat.send(Inbound(kind="choice", text=yes["data"]))
    await cooperate(chat, db)
    await live(chat, db, clock, 7, relay)
    await reread_every_module(chat, db)
    unchanged(week, await snapshot(db))
    assert "week02" in (await position(db)).get("finished", []), "module 1 after crossing over"
    assert (await staff_items(db))[1].count("call") == 1, "the week-2 call once they have crossed over"
