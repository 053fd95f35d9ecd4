"""Stalls seen, on real storage through the real service: a participant who has not moved for the
site's stall_days inside an open module gets one kind nudge, then their therapist a task in the topic;
a participant who moves on is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.relay import active_participant, move_on, relay_config, relay_service, staff_texts

NUDGE = "Hello again. Your module is still open where you left it"


@pytest.fixture
def relay(db, clock, programme, sender):
    return relay_service(db, clock, programme, relay_config(stall_days=3), wake=sender.wake.set)


async def test_a_stalled_participant_is_nudged_once_then_the_therapist_gets_a_task(
    service, relay, db, clock, sender, transport
):
    still = await active_participant(service, chat="9001")
    moving = await active_participant(service, chat="9002")
    await sender.drain()
    await relay.sweep()  # where each stands is remembered
    for day in range(1, 7):
        clock.advance(timedelta(days=1))
        for n in range(8):
            await move_on(service, transport, "9002", f"move-{day}-{n}")
            await sender.drain()
        await relay.sweep()
        await sender.drain()
        nudges = [t for t in transport.texts("9001") if t.startswith(NUDGE)]
        assert len(nudges) == (1 if day >= 3 else 0), f"day {day}: one kind nudge after 3 days, never repeated"
    assert not [t for t in transport.texts("9002") if t.startswith(NUDGE)], "someone moving on is left alone"
    tasks = [t for t in await staff_texts(db) if t.startswith("🐢 Stalled")]
    assert len(tasks) == 1 and tasks[0].startswith(
        f"🐢 Stalled · {still.code} has not moved for 6 days in Getting started"
    )
    assert tasks[0].endswith("even after a friendly nudge. Anna: perhaps a short message or a call?")
    assert moving.code not in "".join(tasks)
