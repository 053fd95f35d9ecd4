"""What the application asks for safety, through the real service: warning signs of serious illness
answered at once (and a task for the interviewer), the country's crisis numbers, and the phone number
and GP shown to staff in a safety alert."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.engine import Inbound
from bot.storage.models import RelayItem
from tests.support.chat import CHAT
from tests.support.relay import relay_config, relay_service
from tests.support.trial_chat import TYPED, apply, through_welcome, trial_chat_for


@pytest.fixture
def applicant(db, programme, clock, sender, transport):
    _, chat = trial_chat_for(db, programme, clock, sender, transport)
    return chat, relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)


async def test_an_emergency_warning_sign_is_answered_at_once_and_becomes_a_task(db, programme, transport, sender,
                                                                                applicant):  # fmt: skip
    chat, relay = applicant
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "warning_now": "yes", "warning_soon": "yes"})
    texts = transport.texts(CHAT)
    emergency = programme.msg("en", "medical.warning_emergency", emergency_number="112")
    assert emergency in texts and programme.msg("en", "medical.warning_soon") in texts
    assert texts[-1] == programme.text(programme.trial.words.to_interview, "en"), "the application went on"
    await relay.process_pending()
    await sender.drain()
    tasks = [t for t in transport.texts("staff") if "Warning signs at the application" in t]
    assert len(tasks) == 2 and "an EMERGENCY sign" in tasks[0] and "bladder" in tasks[0]
    async with db.reading() as session:
        sources = [i.source for i in await session.scalars(select(RelayItem).where(RelayItem.kind == "alert"))]
    assert sources == ["medical:emergency", "medical:soon"]


async def test_no_warning_sign_says_nothing_more(db, programme, transport, applicant):
    chat, _ = applicant
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED)
    assert not any("needs a doctor" in t for t in transport.texts(CHAT))


async def test_the_country_chooses_the_crisis_numbers_and_staff_see_phone_and_gp(db, programme, transport, sender,
                                                                                 applicant):  # fmt: skip
    chat, relay = applicant
    await through_welcome(chat, programme)
    typed = {**TYPED, "country": "United Kingdom", "safety_phone": "07700 900123", "doctor": "Riverside Surgery"}
    await apply(chat, programme, typed)
    await chat.send(Inbound(kind="text", text="I want to kill myself"))
    crisis = transport.texts(CHAT)[-2]
    assert "999" in crisis and "Samaritans, 116 123" in crisis and "90101" not in crisis
    await relay.process_pending()
    await sender.drain()
    alert = next(t for t in transport.texts("staff") if t.startswith("🚨 URGENT"))
    assert "07700 900123" in alert and "Riverside Surgery" in alert


async def test_another_country_falls_back_to_the_site_numbers(db, programme, transport, applicant):
    chat, _ = applicant
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "country": "Another country"})
    await chat.send(Inbound(kind="text", text="I want to kill myself"))
    assert "112" in transport.texts(CHAT)[-2] and "90101" in transport.texts(CHAT)[-2]
