"""Drop-out early warning on real storage through the real services: /caseload puts the participant
who has gone quiet above the one who keeps going, with the reasons, and the Monday digest in the
general thread names them — once a week, however many timed passes run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.relay import ANNA, active_participant, move_on, relay_config, relay_service, staff_msg, staff_texts

DIGEST = "📉"


@pytest.fixture
def relay(db, clock, programme, sender):
    config = relay_config(therapist_ids=(ANNA,), therapist_names={ANNA: "Anna"})
    return relay_service(db, clock, programme, config, wake=sender.wake.set)


async def digests(db) -> list[str]:
    return [t for t in await staff_texts(db) if t.startswith(DIGEST)]


async def test_caseload_puts_the_quiet_participant_first_and_the_monday_digest_names_them_once(
    service, relay, db, clock, sender, transport
):
    busy = await active_participant(service, chat="7101")  # first by id: only the risk can put the other first
    quiet = await active_participant(service, chat="7102")
    await sender.drain()
    await relay.sweep()  # Monday 08:00: both just started
    await relay.sweep()
    first = await digests(db)
    assert len(first) == 1, "one digest this week, not one per pass"
    assert first[0].startswith("📉 Drop-out early warning: nobody shows a high or medium risk this week.")
    for day in range(1, 9):
        clock.advance(timedelta(days=1))
        await move_on(service, transport, "7101", f"busy-{day}")
        await sender.drain()
        await relay.sweep()
        await relay.sweep()
    week_two = (await digests(db))[1:]
    assert len(week_two) == 1, "next Monday's digest, once, though passes ran on Monday and Tuesday"
    lines = week_two[0].splitlines()
    assert lines[0].startswith("📉 Who to contact first this week")
    assert lines[1].startswith(f"   {quiet.code} · Anna · 🔴 high drop-out risk: 7 days without a message or a tap")
    assert busy.code not in week_two[0], "someone who keeps going is not named"

    await relay.handle_staff(staff_msg("/caseload"))
    shown = (await staff_texts(db))[-1].splitlines()
    assert shown[0] == "Anna: 2 participant(s)"
    assert shown[1].startswith(f"   {quiet.code} · week 2")
    assert shown[2].startswith("      🔴 high drop-out risk: 8 days without a message or a tap")
    assert shown[3].startswith(f"   {busy.code} · week 2")
    assert shown[4] == "      🟢 low drop-out risk"
