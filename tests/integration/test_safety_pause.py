"""The pause after an urgent risk hit, seen from both sides through the real service and relay: the
staff group sees the participant paused (with the reason) in /queue and /caseload, /ack says who
acknowledged and that the pause stays, and /release brings the participant back to their step."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversation.release import release_command
from bot.engine import Inbound
from bot.storage.models import Participant
from tests.support.relay import BEN, active_participant, directory, staff_msg


async def held(db, participant_id: int) -> dict:
    async with db.reading() as session:
        row = await session.scalar(select(Participant).where(Participant.id == participant_id))
    return row.position or {}


async def test_staff_see_the_pause_and_release_it_from_the_topic(service, relay, sender, transport, db, clock, topics):
    relay.registry["release"] = release_command(service.decisions)
    p = await active_participant(service)
    await service.handle("test", p.chat_id, "risk-1", Inbound(kind="text", text="I've taken all my pills"))
    await relay.process_pending()
    await sender.drain()
    position = await held(db, p.id)
    assert position.get("held") and "a recent attempt or overdose" in position["held_reason"]
    thread = await directory(db, clock, topics).thread_for(p.id, p.code)

    await relay.handle_staff(staff_msg("/queue", user=BEN))
    await sender.drain()
    queue = transport.texts("staff")[-1]
    assert "URGENT alert" in queue.splitlines()[2], "the open alert first"
    assert f"⏸ {p.code} is paused: a recent attempt or overdose" in queue, "and the pause, with the reason"
    await relay.handle_staff(staff_msg("/caseload", user=BEN))
    await sender.drain()
    assert f"⏸ {p.code} is paused" in transport.texts("staff")[-1]

    await relay.handle_staff(staff_msg("/ack", user=BEN, thread=thread))
    await sender.drain()
    ack = transport.texts("staff")[-1]
    assert ack.startswith("✅ Acknowledged by Ben") and "stays paused" in ack and "/release" in ack

    told = len(transport.texts(p.chat_id))
    await relay.handle_staff(staff_msg("/release", user=BEN, thread=thread))
    await sender.drain()
    assert transport.texts("staff")[-1] == f"▶️ Ben lifted {p.code}'s pause; they are back where they were."
    to_participant = transport.texts(p.chat_id)[told:]
    assert to_participant[0] == service.engine.programme.msg("en", "safety.released")
    assert len(to_participant) >= 2, "then the step they were on"
    assert not (await held(db, p.id)).get("held")
    await relay.handle_staff(staff_msg("/release", user=BEN, thread=thread))
    await sender.drain()
    assert transport.texts("staff")[-1] == f"{p.code}'s programme is not paused."
