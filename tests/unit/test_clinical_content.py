"""The clinical revision, checked in the shipped content: red flags with how urgent each
is, no fear-based or scattered "see your doctor" lines, one safety line in the menu, and the topics a
pain clinician expects (exposure, flare-ups, attention, work, medicines, clinicians, honest time)."""

from __future__ import annotations

import pytest

from bot.content.schema import FormStep
from tests.conftest import CONTENT
from tests.support import Participant, finish_current_module

FEARFUL = (
    "resting for a while can help",
    "turn with your feet",
    "lift boxes",
    "check with your doctor",
    "sharp or new pain",
    "stop and see your doctor",
    "stop and check",
)
URGENCY = {  # how urgent -> the signs that belong there
    "emergency": ("bladder", "bowel", "numbness around your bottom", "weakness in both legs", "getting worse",
                  "chest pain", "sudden tearing pain"),
    "same day": ("fever", "serious fall or accident"),
    "within a few days": ("new or has changed", "cancer", "losing weight", "at night", "immune system",
                          "inject drugs"),
}  # fmt: skip


def paragraphs(text: str) -> list[str]:
    return [p.replace("\n", " ") for p in text.split("\n\n") if p.strip()]


@pytest.mark.parametrize("where", ["page", "command"])
def test_medical_help_names_every_red_flag_with_how_urgent_it_is(programme, where):
    text = (
        programme.text(programme.step("week02", "medical_help").text, "en")
        if where == "page"
        else programme.msg("en", "content.medical_help")
    )
    for urgency, signs in URGENCY.items():
        block = next((p for p in paragraphs(text) if urgency in p), None)
        assert block is not None, f"no paragraph says {urgency!r}"
        for sign in signs:
            assert sign in block, f"{sign!r} is not with {urgency!r}"
    assert "/medical" in programme.msg("en", "help"), "/help points to the page"


def test_no_fear_based_or_scattered_doctor_lines_anywhere_in_the_content():
    for path in sorted(CONTENT.rglob("*.yaml")):
        text = " ".join(path.read_text().lower().split())
        for phrase in FEARFUL:
            assert phrase not in text, f"{phrase!r} in {path.relative_to(CONTENT)}"


def test_one_short_safety_line_in_the_menu_and_none_in_the_modules(programme, clock):
    p = Participant(programme, clock)
    p.through_consent()
    finish_current_module(p)
    menu = p.command("menu").outbound[0].text
    safety = programme.msg("en", "menu.safety")
    assert menu.count(safety) == 1 and len(safety.split()) <= 30
    allowed = {("week02", "medical_help")}  # and questionnaires that ask about self-harm say what to do now
    for module in programme.scheduled:
        steps = [*module.steps, *(d.step for d in module.daily)]
        for step in steps:
            text = programme.text(step.text, "en").lower() if step.text else ""
            if (module.id, step.id) not in allowed and step.kind != "questionnaire":
                assert "emergency" not in text and "around the clock" not in text, (module.id, step.id)


def test_the_topics_a_pain_clinician_expects_are_there(programme):
    text = lambda module, step: programme.text(programme.step(module, step).text, "en").lower()  # noqa: E731
    assert isinstance(programme.step("week04", "flare_up_plan"), FormStep), "a flare-up plan by week 4"
    assert isinstance(programme.step("week05", "fear_ladder"), FormStep), "graded exposure in week 5"
    assert isinstance(programme.step("week05", "exposure_step"), FormStep)
    assert "distraction" in text("week06", "attention") and "spotlight" in text("week06", "attention")
    work = text("week08", "work_and_pain")
    assert "going back" in work or "return" in work
    assert programme.step("week08", "work_situation").kind == "choice"
    medicines = text("week03", "medicines")
    assert "doctor" in medicines and "pharmacist" in medicines
    assert "appointment" in text("week07", "talking_with_doctors") and "medicines" in text(
        "week07", "talking_with_doctors"
    )
    assert programme.step("week07", "doctor_questions").kind == "text"


def test_the_time_it_takes_is_stated_honestly(programme):
    baseline = text_of(programme, "baseline", "pain_rating")
    assert "30 to 40 minutes" in baseline and "10 to 15 minutes" not in baseline
    items = sum(len(programme.instruments[s.instrument].items) for s in questionnaires(programme, "baseline"))
    assert items <= 120, "'up to about 120 questions' is true when every licensed wording is supplied"
    for week, step in (("week03", "welcome"), ("week04", "this_week"), ("week05", "this_week")):
        assert "3 to 4 hours" in text_of(programme, week, step), week


def text_of(programme, module: str, step: str) -> str:
    return programme.text(programme.step(module, step).text, "en")


def questionnaires(programme, module: str) -> list:
    return [s for s in programme.modules[module].steps if s.kind == "questionnaire"]


def test_plans_with_a_review_day_remind_on_that_day(programme):
    """The problem-solving and maintenance plans promise a reminder on the day chosen to review them."""
    for module, step in (("week08", "problem_solving"), ("week09", "maintenance_plan")):
        form = programme.step(module, step)
        assert isinstance(form, FormStep) and form.remind is not None, step
        kinds = {f.id: f.kind for f in form.fields}
        assert kinds[form.remind.date] == "date" and form.remind.at, step
