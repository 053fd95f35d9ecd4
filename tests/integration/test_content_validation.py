"""`icbt content validate` on the real content and on broken copies of it."""

from __future__ import annotations

from bot.cli.app import app
from tests.conftest import CONTENT
from tests.support.content import edit, runner, validate


def test_shipped_content_is_valid():
    code, lines = validate(CONTENT)
    assert code == 0, lines
    assert lines[0].startswith("content OK:")


def test_unknown_step_kind(copy):
    edit(copy / "modules/week02.yaml", lambda d: d["steps"][2].update(kind="video"))
    code, lines = validate(copy)
    assert code == 1
    assert "content/modules/week02.yaml: steps.2: unknown kind 'video' (expected one of: page," in lines[0]


def test_missing_translation(copy):
    edit(copy / "programme.yaml", lambda d: d.update(languages=["en", "sv"]))
    (copy / "messages/sv.yaml").write_text("buttons:\n  next: Nästa\n")
    code, lines = validate(copy)
    assert code == 1
    assert (
        "content/modules/welcome.yaml: steps.0.text: missing translation for 'sv' (write the text as a mapping per language)"
        in lines
    )
    assert "content/messages/sv.yaml: buttons.skip: missing translation for 'sv'" in lines


def test_duplicate_step_id(copy):
    edit(copy / "modules/week02.yaml", lambda d: d["steps"][3].update(id=d["steps"][2]["id"]))
    code, lines = validate(copy)
    assert code == 1
    assert any(line.startswith("content/modules/week02.yaml: steps.3.id: duplicate step id") for line in lines)


def test_dangling_references(copy):
    edit(copy / "modules/welcome.yaml", lambda d: d["steps"][3]["options"][0].update(goto="nowhere"))
    edit(copy / "programme.yaml", lambda d: d["phases"][1]["modules"].append("week99"))
    code, lines = validate(copy)
    assert code == 1
    assert "content/modules/welcome.yaml: steps.3.options.0.goto: no step 'nowhere' in this module" in lines
    assert "content/programme.yaml: phases.1.modules.8: no module 'week99' in modules/" in lines


def test_bad_bounds(copy):
    def change(d):
        form = next(s for s in d["steps"] if s["kind"] == "form")
        scale = next(f for f in form["fields"] if f["kind"] == "scale")
        scale.update(min=10, max=0)

    edit(copy / "modules/week02.yaml", change)
    code, lines = validate(copy)
    assert code == 1
    assert any("bad bounds: min (10) must be below max (0)" in line and "week02.yaml: steps." in line for line in lines)


def test_yaml_syntax_error_and_missing_field_are_reported_together(copy):
    (copy / "modules/week03.yaml").write_text("id: week03\nsteps: [\n")
    edit(copy / "modules/week04.yaml", lambda d: d.pop("title"))
    code, lines = validate(copy)
    assert code == 1
    assert any(line.startswith("content/modules/week03.yaml: line ") and "(YAML syntax)" in line for line in lines)
    assert "content/modules/week04.yaml: title: required field is missing" in lines


def test_duplicate_yaml_key(copy):
    path = copy / "modules/welcome.yaml"
    path.write_text(path.read_text().replace("id: welcome\n", "id: welcome\nid: welcome2\n", 1))
    code, lines = validate(copy)
    assert code == 1
    assert any("welcome.yaml: line 2: duplicate key 'id'" in line for line in lines)


def test_outline_lists_weeks_steps_and_fields():
    result = runner.invoke(app, ["content", "outline", str(CONTENT)])
    assert result.exit_code == 0
    out = result.stdout
    assert "week 2: Module 1" in out
    assert "form" in out and "· goal (text)" in out
    assert "consent" in out


def test_the_mood_questions_between_modules_are_questionnaires_named_by_week(copy):
    def break_watch(data):
        data["week"] = 3
        data["steps"][0]["id"] = "first"
        data["steps"][1].update(kind="page")
        del data["steps"][1]["instrument"]

    edit(copy / "modules/mood_watch.yaml", break_watch)
    code, lines = validate(copy)
    assert code == 1
    assert (
        "content/programme.yaml: symptom_watch: module 'mood_watch' is given between modules and must not have a week"
        in lines
    )
    assert "content/modules/mood_watch.yaml: steps.0.id: 'first' must name its programme week, like week04" in lines
    assert "content/modules/mood_watch.yaml: steps.1.kind: only questionnaires are given between modules" in lines


def test_an_arms_own_words_must_name_an_arm_of_the_trial(copy):
    edit(
        copy / "modules/post.yaml", lambda d: d["steps"][0].update(text_for_arm={"waitlist": "Thank you for waiting."})
    )
    code, lines = validate(copy)
    assert code == 1
    assert "content/modules/post.yaml: steps.0.text_for_arm.waitlist: no arm 'waitlist' in trial/trial.yaml" in lines
