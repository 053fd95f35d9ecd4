"""Safety screening, table-tested on the shipped content/safety/en.yaml and on small hand-made rules."""

from __future__ import annotations

import pytest

from bot.safety import RiskHit, SafetyRules, item_risk, screen


@pytest.fixture(scope="module")
def rules(programme) -> SafetyRules:
    found = programme.safety_rules("en")
    assert found is not None
    return found


RISK = [
    ("I want to kill myself", "suicide", "kill_myself"),
    ("I don't want to be here anymore", "hopelessness", "not_want_to_live"),
    ("I don\u2019t want to be here anymore", "hopelessness", "not_want_to_live"),
    ("I don't want to live", "hopelessness", "not_want_to_live"),
    ("Some days I feel like ending it all", "suicide", "end_it_all"),
    ("kil myself", "suicide", "kill_myself"),
    ("i want to killl myself", "suicide", "kill_myself"),
    ("thinking about how to kill my self", "suicide", "kill_myself"),
    ("suicidel thoughts again", "suicide", "suicide_word"),
    ("end it all!!!", "suicide", "end_it_all"),
    ("selfharm", "self_harm", "self_harm"),
    ("self-harm", "self_harm", "self_harm"),
    ("I WANT TO DIE", "suicide", "want_to_die"),
    ("I'm not ok, I want to die", "suicide", "want_to_die"),
    ("I'm not suicidal but I want to die", "suicide", "want_to_die"),
    ("Sometimes I think I'd be better off dead.", "suicide", "want_to_die"),
    ("I feel like I could kill someone", "harm_to_others", "harm_others"),
    ("I have no reason to live", "hopelessness", "not_want_to_live"),
    ("Everyone would be better off without me", "hopelessness", "not_want_to_live"),
    ("I wish I could go to sleep and never wake up", "hopelessness", "not_want_to_live"),
    ("I hope I don't wake up tomorrow", "hopelessness", "not_want_to_live"),
    ("I can’t go on like this", "hopelessness", "not_want_to_live"),
]

NO_RISK = [
    "I would never kill myself",
    "I'm not suicidal",
    "I\u2019m not suicidal",
    "no thoughts of self-harm",
    "this pain is killing me",
    "I could kill for a coffee",
    "the exercise killed my back",
    "I hurt myself lifting a box",
    "I'm cutting myself some slack this week",
    "I want to diet",
    "I don't want to die from this pain, I want to move again",
    "I'm not going to hurt myself",
    "I can't go on walks this week",
    "walked 3 kms today",
    "",
    "!!!",
]


@pytest.mark.parametrize(("text", "category", "phrase"), RISK)
def test_risk_phrase_is_a_safety_hit(rules, text, category, phrase):
    hit = screen(text, rules)
    assert hit is not None, text
    assert (hit.category, hit.phrase) == (category, phrase)
    assert hit.severity == rules.categories[category].severity


@pytest.mark.parametrize("text", NO_RISK)
def test_negated_or_harmless_text_is_no_safety_hit(rules, text):
    assert screen(text, rules) is None


def test_safety_hit_holds_no_participant_text(rules):
    hit = screen("Some days I feel like ending it all", rules)
    assert hit is not None
    assert "ending" not in repr(hit) and "feel" not in repr(hit)


def small_rules(**extra) -> SafetyRules:
    data = {
        "categories": {"suicide": {"severity": "urgent", "label": "suicide"},
                       "low": {"severity": "moderate", "label": "low mood"}},
        "phrases": [{"id": "die", "category": "suicide", "patterns": ["die"]},
                    {"id": "sad", "category": "low", "patterns": ["sad"]}],
        "negations": ["never"],
        "crisis": {"with_staff": "{emergency_number} {crisis_line}", "no_staff": "{emergency_number} {crisis_line}"},
    }  # fmt: skip
    data.update(extra)
    return SafetyRules.model_validate(data)


def test_benign_phrase_drops_a_safety_hit_inside_it():
    assert screen("I could die laughing", small_rules()) is not None
    tuned = small_rules(benign=[{"id": "laughing", "patterns": ["die laughing"]}])
    assert screen("I could die laughing", tuned) is None
    assert screen("I could die laughing, and some days I just want to die", tuned) is not None


def test_most_severe_safety_category_wins():
    hit = screen("I am sad and want to die", small_rules())
    assert hit == RiskHit(category="suicide", phrase="die", severity="urgent")


def test_negation_window_and_clause_breaks_in_safety_screen():
    rules = small_rules()
    assert screen("I never ever would die", rules) is None  # "never" three words before
    assert screen("never did I think about it and die", rules) is not None  # too far back
    assert screen("I never said it, but I want to die", rules) is not None
    assert screen("never mind, I want to die", rules) is not None
    assert screen("I never want to die", small_rules(negation_window=0)) is not None


def test_short_words_are_not_fuzzy_in_safety_screen():
    rules = small_rules()
    assert screen("the diet is hard", rules) is None
    assert screen("dye my hair", rules) is None


def test_phq9_item9_is_a_safety_item_risk(rules):
    hit = item_risk("phq9", "q9", 1, rules)
    assert hit == RiskHit(category="suicide", phrase="phq9.q9", severity="urgent")
    assert item_risk("phq9", "q9", "3", rules) is not None
    assert item_risk("phq9", "q9", 0, rules) is None
    assert item_risk("phq9", "q8", 3, rules) is None
    assert item_risk("gad7", "q9", 3, rules) is None
    assert item_risk("phq9", "q9", "skipped", rules) is None
    assert item_risk("phq9", "q9", None, rules) is None


def test_explicit_safety_item_rule():
    rules = small_rules(items=[{"instrument": "gad7", "item": "q1", "at_least": 3, "category": "low"}])
    assert item_risk("gad7", "q1", 2, rules) is None
    assert item_risk("gad7", "q1", 3, rules) == RiskHit(category="low", phrase="gad7.q1", severity="moderate")


def test_safety_hit_data_and_staff_description(rules):
    hit = screen("I want to kill myself", rules)
    assert hit is not None
    assert hit.data() == {"category": "suicide", "phrase": "kill_myself", "severity": "urgent"}
    assert hit.describe(rules) == "thoughts of suicide (urgent, phrase kill_myself)"
