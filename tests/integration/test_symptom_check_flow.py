"""The symptom check: PHQ-9 again at the start of modules 4 and 8, its score shown to the therapist and
a rise past ``symptom_rise_threshold`` flagged (engine on the real content; service on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.bootstrap import conversation_service
from bot.engine import Inbound
from bot.features import build_engine
from bot.measures.scoring import score
from bot.measures.service import SymptomPolicy
from bot.measures.store import store_score
from bot.storage.models import Participant as ParticipantRow
from bot.storage.models import RelayItem
from bot.storage.tables_measures import ScoreRow
from tests.support.clock import CONSENT, STOCKHOLM, at_module_start
from tests.support.relay import relay_config, relay_service


@pytest.mark.parametrize(("module", "week"), [("week05", 5), ("week09", 9)])
def test_phq9_is_asked_again_at_the_start_of_modules_4_and_8(programme, module, week):
    p = at_module_start(programme, module, week)
    assert p.state.frame.step == "mood_check"
    assert "mood questions" in p.texts()[-2]
    for _ in range(9):
        effects = p.type("1")
    [record] = effects.scores
    assert (record.module, record.step, record.instrument) == (module, "mood_check", "phq9")
    assert (record.score.total, record.score.band) == (9.0, "mild")
    assert p.state.frame.step != "mood_check", "the module goes on after the check"


async def test_the_therapist_sees_the_check_and_a_rise_is_flagged(db, programme, clock, sender, transport):
    service = conversation_service(
        db, build_engine(programme), clock, timezone=STOCKHOLM,
        language="en", staff_target=("test", "staff"), wake_sender=sender.wake.set,
        symptoms=SymptomPolicy(threshold=5),
    )  # fmt: skip
    p = at_module_start(programme, "week05", 5)
    clock.set(p.clock.now())
    await service.handle("test", "chat-1", "1", Inbound(kind="command", text="help"))
    async with db.transaction() as session:
        row = await session.scalar(select(ParticipantRow))
        assert row is not None
        row.status, row.start_date, row.position = "active", CONSENT, p.state.position_json()
        phq9 = programme.instruments["phq9"]
        baseline = score(phq9, {item.id: 1 for item in phq9.items})  # 9
        await store_score(session, row.id, "baseline", "phq9", baseline, programme.version, clock.now())
        code = row.code
    for n in range(9):
        await service.handle("test", "chat-1", f"item-{n}", Inbound(kind="text", text="2" if n < 8 else "0"))
    async with db.reading() as session:
        scores = [
            (s.module_id, s.step_id, s.total) for s in await session.scalars(select(ScoreRow).order_by(ScoreRow.id))
        ]
        [item] = await session.scalars(select(RelayItem))
    assert scores == [("baseline", "phq9", 9.0), ("week05", "mood_check", 16.0)]
    assert (item.kind, item.source) == ("alert", "alert:symptom_check:week05.mood_check")
    assert f"{code}: phq9 at week05: 16" in item.text and "At the start: 9" in item.text
    assert "risen by 7" in item.text
    # main's relay posts it in the participant's topic as an alert, not through a side channel
    relay = relay_service(db, clock, programme, relay_config())
    assert await relay.process_pending() == 1
    await sender.drain()
    [post] = [t for t in transport.texts("staff") if "symptom" in t or "phq9" in t]
    assert post.startswith(f"⚠️ Alert · {code}") and "risen by 7" in post
