"""What content says depends on an answer (replies, show_if, reflect, checks, remind): the schema's
decisions, and `icbt content validate` on broken copies of the real content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.app import app
from bot.content.schema import Check, Condition, ExerciseStep, FormStep, Reflect, Reply, ShowIf, first_reply

runner = CliRunner()
SCALE = {"kind": "scale", "min": 0, "max": 10}
YES_NO = [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}]


def add_step(copy: Path, step: dict) -> str:
    """Append ``step`` to week 2 and return the path prefix its problems are reported under."""
    path = copy / "modules/week02.yaml"
    data = yaml.safe_load(path.read_text())
    data["steps"].append(step)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return f"content/modules/week02.yaml: steps.{len(data['steps']) - 1}."


def problems(directory: Path) -> list[str]:
    result = runner.invoke(app, ["content", "validate", str(directory)])
    assert result.exit_code == 1, result.stdout
    return [line for line in result.stdout.splitlines() if not line.startswith("note:")]


def form(*fields: dict, **extra) -> dict:
    return {"id": "broken", "kind": "form", "title": "Broken", "fields": list(fields), **extra}


# -- decisions ------------------------------------------------------------------------------------
def test_a_condition_tests_numbers_and_choices():
    below = Condition.model_validate({"below": 7})
    assert below.holds(5) and below.holds(6.5) and not below.holds(7) and not below.holds(None)
    at_least = Condition.model_validate({"at_least": 7})
    assert at_least.holds(7) and not at_least.holds(6) and not at_least.holds("7")
    chosen = Condition.model_validate({"is": ["yes", "partly"]})
    assert chosen.holds("partly") and not chosen.holds("no") and not chosen.holds(None)


def test_the_first_matching_reply_is_said():
    replies = tuple(
        Reply.model_validate(r)
        for r in ({"when": {"below": 4}, "text": "very low"}, {"when": {"below": 7}, "text": "low"})
    )
    assert first_reply(replies, 2).text == "very low"
    assert first_reply(replies, 5).text == "low"
    assert first_reply(replies, 9) is None


def test_show_if_and_checks_decide_from_the_answers_so_far():
    show = ShowIf.model_validate({"field": "done", "is": ["yes", "partly"]})
    assert show.asks({"done": "partly"}) and not show.asks({"done": "no"}) and not show.asks({})
    check = Check(field="worst", not_below="average", text="Sure?")
    assert check.violated({"average": 9, "worst": 3})
    assert not check.violated({"average": 5, "worst": 5}) and not check.violated({"average": 5, "worst": None})


def test_reflect_picks_lower_same_or_higher():
    reflect = Reflect(before="b", after="a", lower="down", same="same", higher="up")
    assert (reflect.pick(7, 4), reflect.pick(5, 5), reflect.pick(3, 6)) == ("down", "same", "up")


def test_the_shipped_content_says_what_depends_on_answers(programme):
    """Where a module promises a response to an answer, the content carries it."""
    goals = programme.step("week02", "goals")
    assert isinstance(goals, FormStep)
    confidence = next(f for f in goals.fields if f.id == "confidence")
    assert "smaller" in programme.text(first_reply(confidence.replies, 5).text, "en")
    assert "smaller" not in programme.text(first_reply(confidence.replies, 8).text, "en")
    for module in ("baseline", "post"):
        diary = programme.step(module, "pain_diary_first")
        daily = next(d.step for d in programme.modules[module].daily if d.id == "pain_diary")
        for form in (diary, daily):
            assert isinstance(form, FormStep)
            assert [(c.field, c.not_below) for c in form.checks] == [("worst_pain", "average_pain")]
    breathing = programme.step("week02", "breathing")
    assert isinstance(breathing, ExerciseStep)
    assert [(r.before, r.after) for r in breathing.reflect] == [("tension_before", "tension_after")]
    record = programme.step("week05", "thought_record")
    assert isinstance(record, FormStep) and [(r.before, r.after) for r in record.reflect] == [
        ("belief", "belief_after")
    ]


@pytest.mark.parametrize("week", ["week04", "week05", "week06", "week07", "week08"])
def test_the_activity_plan_is_a_plan_now_and_a_record_later(programme, week):
    plan = programme.step(week, "activity_plan")
    assert isinstance(plan, FormStep) and plan.remind is not None
    kinds = {f.id: f.kind for f in plan.fields}
    assert kinds[plan.remind.date] == "date" and kinds[plan.remind.time or ""] == "time"
    assert not {"done", "pain", "satisfaction"} & set(kinds), "nothing asks how it went while planning"
    record = next(d for d in programme.modules[week].daily if d.id == "activity_record")
    assert record.after == "activity_plan" and isinstance(record.step, FormStep)
    pain = next(f for f in record.step.fields if f.id == "pain")
    assert pain.show_if is not None and pain.show_if.field == "done"
    assert not pain.show_if.holds("no") and pain.show_if.holds("yes")


@pytest.mark.parametrize("week", ["week04", "week05", "week06", "week07", "week08", "week09"])
def test_the_coping_diary_is_prompted_every_day_it_is_kept(programme, week):
    prompt = next(d for d in programme.modules[week].daily if d.id == "coping_check_in")
    assert prompt.after == "coping_diary" and prompt.days == 7


def test_the_mini_scan_is_prompted_as_often_as_its_text_says(programme):
    scan = programme.step("week05", "body_scan_3")
    prompts = [d for d in programme.modules["week05"].daily if d.after == "body_scan_3"]
    assert "twice a day" in programme.text(scan.text, "en") and len({d.at for d in prompts}) == 2


def test_goals_are_rated_again_in_week_6_and_week_9(programme):
    for week in ("week06", "week09"):
        review = programme.step(week, "goal_review")
        assert isinstance(review, FormStep) and review.repeatable
        confidence = next(f for f in review.fields if f.id == "confidence")
        assert first_reply(confidence.replies, 4) is not None


def test_no_scattered_doctor_lines_or_repeated_disclaimers(programme):
    """One medical-help page in week 2 (and /medical); no module repeats the emergency disclaimer."""
    for module in programme.scheduled:
        for step in module.steps:
            text = programme.text(step.text, "en").lower() if step.text else ""
            assert "check with your doctor" not in text, (module.id, step.id)
            assert "sharp or new pain" not in text, (module.id, step.id)
            if step.id != "phq9":
                assert "harm yourself" not in text, (module.id, step.id)
    pages = [(m.id, s.id) for m in programme.scheduled for s in m.steps if s.id == "medical_help"]
    assert pages == [("week02", "medical_help")]
    assert "bladder" in programme.msg("en", "content.medical_help")
    assert "/medical" in programme.msg("en", "help")


def test_questionnaire_announcements_sit_on_the_questionnaire_steps(programme):
    """A page never announces a questionnaire: the text shows only when that questionnaire is given."""
    for module_id in ("baseline", "post"):
        module = programme.modules[module_id]
        for index, step in enumerate(module.steps):
            if step.kind == "questionnaire":
                assert step.text, (module_id, step.id)
                before = module.steps[index - 1]
                assert before.kind != "page" or "questionnaire" not in programme.text(before.text, "en").lower()
        asks = programme.text(programme.step(module_id, "ask_question").text, "en").lower()
        assert "all the questionnaires" not in asks and "last questionnaire" not in asks


def test_the_first_real_task_comes_early_in_baseline(programme):
    steps = programme.modules["baseline"].steps
    first_task = next(i for i, s in enumerate(steps) if s.kind != "page")
    assert first_task <= 2 and steps[first_task].id == "pain_diary_first"


# -- validation -----------------------------------------------------------------------------------
def test_a_condition_needs_exactly_one_test(copy):
    where = add_step(copy, form({"id": "a", "label": "A", **SCALE, "replies": [{"when": {"below": 3, "at_least": 5}, "text": "x"}]}))  # fmt: skip
    assert f"{where}fields.0.replies.0.when: give exactly one of below, at_least or is" in problems(copy)


def test_replies_must_fit_the_kind_of_answer(copy):
    where = add_step(copy, form(
        {"id": "note", "kind": "text", "label": "Note", "replies": [{"when": {"below": 3}, "text": "x"}]},
        {"id": "done", "kind": "choice", "label": "Done?", "options": YES_NO,
         "replies": [{"when": {"below": 3}, "text": "x"}, {"when": {"is": ["maybe"]}, "text": "y"}]},
        {"id": "level", "label": "Level", **SCALE, "replies": [{"when": {"is": ["yes"]}, "text": "x"}]},
    ))  # fmt: skip
    lines = problems(copy)
    assert f"{where}fields.0.replies: replies need a number, scale or choice answer, not text" in lines
    assert f"{where}fields.1.replies.0.when.below: below needs a number or scale field, not choice" in lines
    assert f"{where}fields.1.replies.1.when.is: no option 'maybe' (options: no, yes)" in lines
    assert f"{where}fields.2.replies.0.when.is: is needs a choice field, not scale" in lines


def test_replies_on_single_question_steps_are_checked(copy):
    where = add_step(copy, {"id": "broken", "kind": "choice", "text": "?", "options": YES_NO,
                            "replies": [{"when": {"at_least": 7}, "text": "x"}]})  # fmt: skip
    assert f"{where}replies.0.when.at_least: at_least needs a number or scale field, not choice" in problems(copy)


def test_show_if_names_an_earlier_field_of_a_fitting_kind(copy):
    where = add_step(copy, form(
        {"id": "pain", "label": "Pain", **SCALE, "show_if": {"field": "done", "is": ["yes"]}},
        {"id": "done", "kind": "choice", "label": "Done?", "options": YES_NO},
        {"id": "how", "kind": "text", "label": "How?", "show_if": {"field": "done", "below": 3}},
        {"id": "why", "kind": "text", "label": "Why?", "show_if": {"field": "nothing", "is": ["no"]}},
        {"id": "more", "kind": "text", "label": "More?", "show_if": {"field": "done", "is": ["yes", "perhaps"]}},
    ))  # fmt: skip
    lines = problems(copy)
    assert f"{where}fields.0.show_if.field: 'done': must be an earlier field of this form" in lines
    assert f"{where}fields.2.show_if.below: below needs a number or scale field, not choice" in lines
    assert f"{where}fields.3.show_if.field: 'nothing': no such field in this form" in lines
    assert f"{where}fields.4.show_if.is: no option 'perhaps' (options: no, yes)" in lines


def test_reflect_needs_two_numeric_fields_and_known_placeholders(copy):
    texts = {"lower": "{before} to {after}", "same": "same {befor}", "higher": "up"}
    where = add_step(copy, form(
        {"id": "before", "label": "Before", **SCALE},
        {"id": "note", "kind": "text", "label": "Note"},
        reflect=[{"before": "before", "after": "note", **texts}, {"before": "before", "after": "gone", **texts}],
    ))  # fmt: skip
    lines = problems(copy)
    assert f"{where}reflect.0.after: 'note' is a text field; it must be a number or scale" in lines
    assert f"{where}reflect.0.same: unknown placeholder {{befor}} (use {{before}} and {{after}})" in lines
    assert f"{where}reflect.1.after: no field 'gone' in this form" in lines


def test_reflect_on_an_exercise_log_is_checked(copy):
    where = add_step(copy, {"id": "broken", "kind": "exercise", "text": "x", "script": ["y"],
                            "log": [{"id": "minutes", "kind": "number", "label": "M", "min": 1, "max": 9}],
                            "reflect": [{"before": "minutes", "after": "minutes", "lower": "a", "same": "b",
                                         "higher": "c"}]})  # fmt: skip
    assert f"{where}reflect.0.after: before and after must be two different fields" in problems(copy)


def test_checks_compare_two_numeric_fields(copy):
    where = add_step(copy, form(
        {"id": "average", "label": "Average", **SCALE},
        {"id": "done", "kind": "choice", "label": "Done?", "options": YES_NO},
        checks=[{"field": "done", "not_below": "average", "text": "x"},
                {"field": "worst", "not_below": "average", "text": "x"}],
    ))  # fmt: skip
    lines = problems(copy)
    assert f"{where}checks.0.field: 'done' is a choice field; it must be a number or scale" in lines
    assert f"{where}checks.1.field: no field 'worst' in this form" in lines


def test_remind_names_a_date_field_and_a_time_field(copy):
    where = add_step(copy, form(
        {"id": "day", "kind": "text", "label": "Day"},
        {"id": "at", "kind": "date", "label": "At"},
        remind={"date": "day", "time": "at", "text": "Time for it"},
    ))  # fmt: skip
    lines = problems(copy)
    assert f"{where}remind.date: 'day' is a text field; it must be a date field" in lines
    assert f"{where}remind.time: 'at' is a date field; it must be a time field" in lines


def test_remind_default_time_must_be_a_time_of_day(copy):
    where = add_step(copy, form({"id": "day", "kind": "date", "label": "Day"},
                                remind={"date": "day", "at": "25:00", "text": "x"}))  # fmt: skip
    assert f"{where}remind.at: '25:00' is not a time of day HH:MM" in problems(copy)


def test_daily_prompt_steps_are_checked_too(copy):
    path = copy / "modules/week02.yaml"
    data = yaml.safe_load(path.read_text())
    data["daily"][0]["step"]["log"][1]["replies"] = [{"when": {"is": ["yes"]}, "text": "x"}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    assert "content/modules/week02.yaml: daily.0.step.log.1.replies.0.when.is: is needs a choice field, not scale" in (
        problems(copy)
    )


def test_new_texts_need_every_declared_language(copy):
    where = add_step(copy, form({"id": "a", "label": "A", **SCALE},
                                {"id": "b", "label": "B", **SCALE},
                                reflect=[{"before": "a", "after": "b", "lower": "l", "same": "s", "higher": "h"}]))  # fmt: skip
    programme = copy / "programme.yaml"
    data = yaml.safe_load(programme.read_text())
    data["languages"] = ["en", "sv"]
    programme.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    shutil.copy(copy / "messages/en.yaml", copy / "messages/sv.yaml")
    lines = problems(copy)
    assert any(line.startswith(f"{where}reflect.0.lower: missing translation for 'sv'") for line in lines)
