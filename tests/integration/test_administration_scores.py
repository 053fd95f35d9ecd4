"""A score per administration: the engine scores a finished questionnaire and the service stores it.

Engine tests run on the real content without a database; storage tests on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.content.schema import Instrument
from bot.engine import Inbound
from bot.engine.fields import item_field
from bot.engine.model import Effects, ScoreRecord
from bot.measures.scoring import score
from bot.measures.service import SymptomPolicy, record_scores
from bot.storage.models import Answer
from bot.storage.tables_measures import ScoreRow
from tests.support import Participant, auto_answer
from tests.support.chat import CHAT, Driver
from tests.support.measures import AT, new_participant


def walk_to_step(p: Participant, step: str, limit: int = 200) -> None:
    """Answer cooperatively until the baseline's ``step`` asks its first item."""
    p.through_consent()
    for _ in range(limit):
        frame = p.state.frame
        if frame is not None and frame.step == step and p.last.outbound and p.last_message.buttons:
            return
        auto_answer(p)
    raise AssertionError(f"step {step} not reached")


def test_a_typed_11_on_a_0_to_10_item_is_refused_not_stored_as_10(p):
    walk_to_step(p, "pain_rating")
    effects = p.type("11")
    assert effects.answers == [] and effects.scores == []
    assert "0" in effects.outbound[-1].text and "10" in effects.outbound[-1].text
    assert p.state.frame.step == "pain_rating" and p.state.frame.part == 0
    effects = p.type("10")
    assert [(a.field, a.value) for a in effects.answers] == [("average_week", 10)]


def test_a_finished_questionnaire_emits_one_score_with_its_item_answers(p, programme):
    walk_to_step(p, "pain_rating")
    effects = p.type("7")
    [record] = effects.scores
    assert (record.module, record.step, record.instrument) == ("baseline", "pain_rating", "pain_rating")
    assert record.answers == {"average_week": 7}
    assert record.score.total == 7.0

    # PHQ-9 next: nine buttons pressed, the score comes only with the last one.
    assert p.state.frame.step == "phq9"
    phq9 = programme.instruments["phq9"]
    for n in range(len(phq9.items)):
        effects = p.press(index=1 if n < 8 else 0)  # "several days" on q1-q8, "not at all" on q9
        assert (effects.scores == []) == (n < 8)
    [record] = effects.scores
    assert record.answers == {**{f"q{i}": 1 for i in range(1, 9)}, "q9": 0}
    assert record.score == score(phq9, record.answers)
    assert (record.score.total, record.score.band) == (8.0, "mild")


def test_an_items_own_labels_win_over_the_instruments():
    instrument = Instrument.model_validate(
        {
            "id": "mixed", "title": "Mixed", "licence": "own", "source": "test",
            "response_labels": ["never", "sometimes", "often"],
            "scales": [{"id": "total", "title": "Total"}],
            "items": [
                {"id": "a", "max": 2, "text": "Item a"},
                {"id": "b", "max": 1, "text": "Item b", "response_labels": ["no", "yes"]},
            ],
        }
    )  # fmt: skip
    a, b = (item_field(instrument, item) for item in instrument.items)
    assert [(o.id, o.label) for o in a.options] == [("0", "never"), ("1", "sometimes"), ("2", "often")]
    assert [(o.id, o.label) for o in b.options] == [("0", "no"), ("1", "yes")]


async def test_the_service_stores_the_score_with_the_answers(db, service, sender, transport, programme):
    driver = Driver(service, sender, transport)
    await driver.through_consent()
    for _ in range(200):
        async with db.reading() as session:
            steps = set(await session.scalars(select(Answer.step_id)))
        if "pain_rating" in steps:
            break
        last = transport.sent[CHAT][-1]
        labels = [b["label"] for row in last["buttons"] for b in row]
        if "Continue ›" in labels:
            await driver.press("Continue ›")
        elif labels and labels != ["Skip"]:
            await driver.press()
        else:
            await driver.send(Inbound(kind="text", text="6"))
    async with db.reading() as session:
        rows = list(await session.scalars(select(ScoreRow)))
        answer = await session.scalar(select(Answer).where(Answer.field_id == "average_week"))
    assert answer is not None
    assert [(r.module_id, r.step_id, r.instrument, r.total) for r in rows] == [
        ("baseline", "pain_rating", "pain_rating", float(answer.value))
    ]
    assert rows[0].at == answer.answered_at, "written in the same event as the answer"
    assert rows[0].content_version == programme.version


async def test_a_symptom_check_shows_the_score_and_flags_a_rise(db, programme):
    pid = await new_participant(db)
    phq9 = programme.instruments["phq9"]

    async def scored(record: ScoreRecord, threshold: float) -> Effects:
        """The service's score hook for one administration, in one write transaction as in a batch."""
        effects = Effects()
        effects.scores.append(record)
        await db.run_write(lambda conn: record_scores(conn, programme, pid, "P-0001", "en", effects,
                                                      SymptomPolicy(threshold=threshold), AT))  # fmt: skip
        return effects

    effects = await scored(_record("baseline", "phq9", phq9, 1), 5)  # total 9
    assert effects.relays == [], "the first administration is no check"

    effects = await scored(_record("week05", "phq9_check", phq9, 2), 5)  # total 18: a rise of 9
    [relay] = effects.relays
    assert relay.kind == "alert" and relay.source == "alert:symptom_check:week05.phq9_check"
    assert "18" in relay.text and "9" in relay.text and "Flag" in relay.text

    effects = await scored(_record("week09", "phq9_check", phq9, 2), 10)  # 18 again: +9 on baseline still
    [relay] = effects.relays
    assert "Flag" not in relay.text, "a rise of 9 is below a threshold of 10"
    async with db.reading() as session:
        totals = [r.total for r in await session.scalars(select(ScoreRow).order_by(ScoreRow.id))]
    assert totals == [9.0, 18.0, 18.0]


def _record(module: str, step: str, instrument: Instrument, value: int) -> ScoreRecord:
    answers = {item.id: value for item in instrument.items}
    return ScoreRecord(module, step, instrument.id, answers, score(instrument, answers))
