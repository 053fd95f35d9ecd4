"""The application form as the engine will walk it: order, skipped follow-ups, reading typed answers,
and the kind not-eligible message."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import InputRejected
from bot.trial.application import application_plan, questions_to_ask, read_answer
from bot.trial.eligibility import assess, not_eligible_text
from tests.support.trial import APPLIED, good_answers

TODAY = date(2026, 4, 10)


def question(programme, qid: str):
    return next(q for q in programme.trial.questions if q.id == qid)


def test_plan_asks_the_questions_in_order_then_the_active_screens(programme):
    plan = application_plan(programme)
    assert [q.id for q in plan.questions][:3] == ["age", "sex", "internet"]
    assert [q.id for q in plan.questions][-1] == "contact"
    assert [i.id for i in plan.screens] == ["phq9"]


def test_sick_leave_months_are_skipped_for_those_who_work(programme):
    upto_work = {q.id: "x" for q in programme.trial.questions[:6]}
    asked = [q.id for q in questions_to_ask(programme, {**upto_work, "work": "employed"})]
    assert asked[0] == "wheelchair"
    asked = [q.id for q in questions_to_ask(programme, {**upto_work, "work": "sick_leave"})]
    assert asked[0] == "sick_leave_months"
    assert questions_to_ask(programme, {})[0].id == "age"


@pytest.mark.parametrize(
    ("qid", "typed", "value"),
    [("age", " 42 ", 42), ("sick_leave_months", "2,5", 2.5), ("internet", "Yes", True), ("wheelchair", "no", False),
     ("sex", "female", "female"), ("pain_since", "2025-03-01", "2025-03-01"), ("contact", " evenings ", "evenings")],
)  # fmt: skip
def test_read_answer(programme, qid, typed, value):
    assert read_answer(question(programme, qid), typed, TODAY) == value


@pytest.mark.parametrize(
    ("qid", "typed", "key"),
    [("age", "forty", "reprompt.number"), ("age", "121", "reprompt.number"), ("internet", "maybe", "trial.reprompt.yes_no"),
     ("sex", "robot", "reprompt.choose_button"), ("pain_since", "March", "trial.reprompt.date"),
     ("pain_since", "2026-05-01", "trial.reprompt.date"), ("contact", "  ", "reprompt.text_empty")],
)  # fmt: skip
def test_bad_answers_get_a_reprompt_key_the_content_has(programme, qid, typed, key):
    with pytest.raises(InputRejected) as caught:
        read_answer(question(programme, qid), typed, TODAY)
    assert caught.value.reason_key == key
    assert programme.msg("en", key, **caught.value.params) != key


def test_not_eligible_message_says_why_what_happens_to_the_answers_and_where_to_get_help(programme):
    result = assess(programme.trial, good_answers(age=70, heart_disease=True), APPLIED)
    text = not_eligible_text(programme.trial, result, lambda t: programme.text(t, "en"))
    assert text.startswith("Thank you for applying.")
    assert "• The study is for adults aged 18 to 65." in text
    assert "heart or blood-vessel disease" in text
    assert "kept for a short time only" in text
    assert text.endswith("call your local emergency number if you are in danger.")
