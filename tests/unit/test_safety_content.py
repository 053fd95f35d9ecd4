"""content/safety/<lang>.yaml is validated like every content file: `file: path.to.field: what is wrong`."""

from __future__ import annotations

from pathlib import Path

from tests.support.content import edit, validate

SAFETY = "content/safety/en.yaml"


def test_shipped_safety_content_is_loaded(programme):
    rules = programme.safety_rules("en")
    assert rules is not None and rules.phrases
    assert programme.safety_rules("sv") is rules  # unknown language: the default language's rules


def test_safety_phrase_with_unknown_category(copy: Path):
    edit(copy / "safety/en.yaml", lambda d: d["phrases"][1].update(category="sadness"))
    code, lines = validate(copy)
    assert code == 1
    assert f"{SAFETY}: phrases.1.category: unknown category 'sadness'" in lines


def test_safety_unknown_key_and_bad_level(copy: Path):
    def change(d):
        d["phrases"][0]["pattern"] = "typo"
        d["categories"]["suicide_intent"]["level"] = "extreme"

    edit(copy / "safety/en.yaml", change)
    code, lines = validate(copy)
    assert code == 1
    assert any(line.startswith(f"{SAFETY}: phrases.0.pattern: unknown key") for line in lines), lines
    assert any(
        line.startswith(f"{SAFETY}: categories.suicide_intent.level: Input should be 'urgent' or 'concern'")
        for line in lines
    )


def test_safety_crisis_text_must_name_the_numbers(copy: Path):
    edit(copy / "safety/en.yaml", lambda d: d["crisis"].update(no_staff="Call someone. {hotline}"))
    code, lines = validate(copy)
    assert code == 1
    assert f"{SAFETY}: crisis.no_staff: must contain {{emergency_number}}, {{crisis_line}}" in lines


def test_safety_crisis_text_with_unknown_placeholder(copy: Path):
    edit(
        copy / "safety/en.yaml",
        lambda d: d["crisis"].update(with_staff="{emergency_number} {crisis_line} {therapist_name}"),
    )
    code, lines = validate(copy)
    assert code == 1
    assert any(
        line.startswith(f"{SAFETY}: crisis.with_staff: unknown placeholder {{therapist_name}}") for line in lines
    )


def test_safety_item_rule_for_a_missing_item(copy: Path):
    edit(
        copy / "safety/en.yaml",
        lambda d: d.update(items=[{"instrument": "phq9", "item": "q10", "at_least": 1, "category": "suicide_intent"}]),
    )
    code, lines = validate(copy)
    assert code == 1
    assert f"{SAFETY}: items.0: no item phq9.q10 in instruments/" in lines


def test_safety_file_missing_for_a_language(copy: Path):
    edit(copy / "programme.yaml", lambda d: d.update(languages=["en", "sv"]))
    code, lines = validate(copy)
    assert code == 1
    assert "content/safety/sv.yaml: (top): missing translation: no safety file for language 'sv'" in lines


def test_safety_alert_at_needs_a_category(copy: Path):
    edit(copy / "safety/en.yaml", lambda d: d.pop("alert_at_category"))
    code, lines = validate(copy)
    assert code == 1
    assert f"{SAFETY}: alert_at_category: required: instruments have items with alert_at" in lines


def test_safety_empty_pattern(copy: Path):
    def change(d):
        d["benign"][0]["patterns"] = ["!!!"]

    edit(copy / "safety/en.yaml", change)
    code, lines = validate(copy)
    assert code == 1
    assert any(
        line.startswith(f"{SAFETY}: benign.0.patterns: pattern '!!!' has a form with no words") for line in lines
    )


def test_safety_pattern_marks_in_the_wrong_place(copy: Path):
    edit(copy / "safety/en.yaml", lambda d: d["phrases"][0].update(patterns=["... kill myself"]))
    code, lines = validate(copy)
    assert code == 1
    assert any("phrases.0.patterns: pattern '... kill myself': '...' goes between words" in line for line in lines)


def test_safety_rewrite_must_be_one_word(copy: Path):
    edit(copy / "safety/en.yaml", lambda d: d["rewrites"].update({"wan na": "want to"}))
    code, lines = validate(copy)
    assert code == 1
    assert any(
        line.startswith(f"{SAFETY}: rewrites: ") and "'wan na': a short form is one word" in line for line in lines
    )


def test_safety_needs_a_concern_text_of_each_kind(copy: Path):
    edit(copy / "safety/en.yaml", lambda d: d["concern"].pop("unreachable"))
    code, lines = validate(copy)
    assert code == 1
    assert f"{SAFETY}: concern.unreachable: required field is missing" in lines, lines


def test_safety_duplicate_phrase_id(copy: Path):
    edit(copy / "safety/en.yaml", lambda d: d["phrases"][1].update(id=d["phrases"][0]["id"]))
    code, lines = validate(copy)
    assert code == 1
    assert f"{SAFETY}: (top): phrase ids used twice: kill_myself" in lines
