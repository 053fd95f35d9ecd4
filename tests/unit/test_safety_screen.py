"""Safety screening, table-tested on the shipped content/safety/en.yaml, on the sentence sets in
tests/fixtures/safety/ and on small hand-made rules."""

from __future__ import annotations

import sys

import pytest

from bot.safety import RiskHit, SafetyRules, item_risk, level, screen
from bot.safety.normalise import tokens
from bot.safety.patterns import expand, match_at, same, sequences
from tests.support.safety_sets import labelled


def test_sentence_sets_are_large_enough_and_labelled():
    risk, everyday = labelled("risk.tsv"), labelled("everyday.tsv")
    assert len(risk) >= 150 and {w for w, _ in risk} == {"urgent", "concern"}
    assert len(everyday) >= 60 and {w for w, _ in everyday} == {"none"}


def test_risk_sentences_are_caught_at_their_level(rules):
    rows = labelled("risk.tsv")
    found = [(want, level(text, rules), text) for want, text in rows]
    missed = [text for want, got, text in found if got == "none"]
    assert len(missed) <= len(rows) * 0.02, missed
    urgent_low = [text for want, got, text in found if want == "urgent" and got != "urgent"]
    assert len(urgent_low) <= 2, urgent_low
    assert sum(want == got for want, got, _ in found) >= 0.97 * len(rows)


def test_everyday_pain_sentences_stay_quiet(rules):
    raised = [text for _, text in labelled("everyday.tsv") if level(text, rules) != "none"]
    assert len(raised) <= 3, raised


def test_fresh_sentence_sets_are_large_enough_and_labelled():
    tuned, tuned_everyday = labelled("heldout_risk.tsv"), labelled("heldout_everyday.tsv")
    unseen, unseen_everyday = labelled("unseen_risk.tsv"), labelled("unseen_everyday.tsv")
    assert len(tuned) >= 120 and {w for w, _ in tuned} == {"urgent", "concern"}
    assert len(tuned_everyday) >= 80 and {w for w, _ in tuned_everyday} == {"none"}
    assert len(unseen) >= 60 and {w for w, _ in unseen} == {"urgent", "concern"}
    assert len(unseen_everyday) >= 40 and {w for w, _ in unseen_everyday} == {"none"}


def test_second_set_is_caught_after_widening_its_families(rules):
    """Written before tuning (79.7 % caught then); the families were widened from what it missed."""
    found = [(want, level(text, rules), text) for want, text in labelled("heldout_risk.tsv")]
    missed = [text for _, got, text in found if got == "none"]
    assert len(missed) <= 2, missed
    urgent_low = [text for want, got, text in found if want == "urgent" and got != "urgent"]
    assert len(urgent_low) <= 2, urgent_low
    assert sum(want == got for want, got, _ in found) >= 0.95 * len(found)


def test_second_everyday_set_stays_quiet_and_its_idioms_are_never_urgent(rules):
    graded = [(level(text, rules), text) for _, text in labelled("heldout_everyday.tsv")]
    assert len([text for got, text in graded if got != "none"]) <= 2, graded
    assert [text for got, text in graded if got == "urgent"] == []


def test_unseen_set_keeps_its_measured_floor(rules):
    """Never tuned on: 37 of 66 caught (56 %) when measured, the honest figure for new text. A floor
    a little under it catches a change that makes the screen worse on writing it has not seen."""
    found = [(want, level(text, rules)) for want, text in labelled("unseen_risk.tsv")]
    assert sum(got != "none" for _, got in found) >= 0.52 * len(found)
    assert sum(want == got == "urgent" for want, got in found) >= 20
    raised = [text for _, text in labelled("unseen_everyday.tsv") if level(text, rules) != "none"]
    assert len(raised) <= 2, raised


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the sentences a participant wrote that the old screen missed or got wrong
        ("life isn't worth living", "concern"),
        ("I can't go on", "concern"),
        ("I can't take it anymore", "concern"),
        ("I'm thinking of ending things", "urgent"),
        ("everyone would be better off without me", "concern"),
        ("I've been stockpiling my pills", "urgent"),
        ("I took all my pills", "urgent"),
        ("I wrote goodbye letters", "urgent"),
        ("I'm going to jump off a bridge", "urgent"),
        ("i wanna die", "concern"),
        ("I want to kill myslef", "urgent"),
        ("I'm going to take an overdose of my tramadol", "urgent"),
        ("I'm tired of living with this pain", "none"),
        ("I'd rather be dead tired than lazy", "none"),
        ("I want to kill myself", "urgent"),
        ("I don't see the point of living anymore", "concern"),
        ("What will you do if that happens? I want to kill myself", "urgent"),
        # normalisation: case, accents, repeats, slang
        ("I WANT TO KILLLL MYSELF", "urgent"),
        ("kms", "urgent"),
        ("gonna unalive myself", "urgent"),
        ("I cánt gó on", "concern"),
        ("self-harm", "urgent"),
        ("selfharm", "urgent"),
        ("kill my self", "urgent"),
        # negation lowers, never silences
        ("I would never kill myself", "concern"),
        ("I'm not suicidal", "concern"),
        ("I don't want to die from this pain, I want to move again", "none"),
        ("I'm not sure I want to live anymore", "concern"),
        ("I'm not ok, I want to die", "concern"),
        # pain idioms
        ("this pain is killing me", "none"),
        ("I could kill for a coffee", "none"),
        ("I can't go on walks this week", "none"),
        ("I hurt myself lifting a box", "none"),
        ("I'm cutting myself some slack this week", "none"),
        ("walked 3 kms today", "none"),
        ("I took 2 paracetamol", "none"),
        ("I took 30 paracetamol", "urgent"),
        ("", "none"),
        ("!!!", "none"),
    ],
)
def test_screen_grades_a_sentence(rules, text, expected):
    assert level(text, rules) == expected


def test_a_harmless_phrase_never_silences_a_longer_risk_match(rules):
    assert level("I had an overdose of sunshine", rules) == "none"
    assert level("I'm going to take an overdose of my tramadol", rules) == "urgent"


def test_safety_hit_holds_no_participant_text(rules):
    hit = screen("Some days I feel like ending it all", rules)
    assert hit is not None and hit.urgent
    assert "ending" not in repr(hit) and "feel" not in repr(hit)
    assert hit.data() == {"level": "urgent", "category": "suicide_intent", "phrase": "end_it"}
    assert hit.describe(rules) == "thoughts or intent of suicide (urgent, phrase end_it)"


def test_a_short_text_is_read_once_and_its_verdict_kept_within_bounds(monkeypatch):
    screening = sys.modules["bot.safety.screen"]  # the module, which the package's ``screen`` hides
    fresh = small_rules()  # its own compiled rules, so the store starts empty
    first = screen("I want to die", fresh)
    assert first is not None and first.urgent
    kept = fresh.compiled().verdicts
    assert kept == {"I want to die": first}
    assert screen("I want to die", fresh) is first  # read from the store: the same verdict
    assert screen("5", fresh) is None and "5" in kept
    long_text = "I walked to the shop and back today and my back was fine all the way home again"
    assert screen(long_text, fresh) is None and long_text not in kept  # a long text is always read
    monkeypatch.setattr(screening, "REMEMBERED_TEXTS", len(kept))
    assert screen("ok", fresh) is None
    assert kept == {"ok": None}  # full: the store started again, bounded


def test_pattern_marks_expand_and_match():
    assert sorted(expand("(want|going) to (really|) die")) == [
        "going to die",
        "going to really die",
        "want to die",
        "want to really die",
    ]
    [gap] = sequences("took ... pills", {})
    assert match_at(gap, tokens("took all of my pills", {}), 0) == 5
    assert match_at(gap, tokens("took a b c d e pills", {}), 0) is None  # more than four words
    [end] = sequences("can not go on $", {"cant": ("can", "not")})
    assert match_at(end, ("can", "not", "go", "on"), 0) == 4
    assert match_at(end, ("can", "not", "go", "on", "walks"), 0) is None


def test_normalisation_folds_accents_repeats_and_short_forms(rules):
    rewrites = rules.compiled().rewrites
    assert tokens("I CAN’T gooo ón", rewrites) == ("i", "can", "not", "go", "on")
    assert tokens("wanna", rewrites) == ("want", "to")
    assert same("myself", "myslef") and same("suicide", "sucide")
    assert not same("die", "dye")


def small_rules(**extra) -> SafetyRules:
    replies = {"with_staff": "{emergency_number} {crisis_line}", "unreachable": "{emergency_number} {crisis_line}",
               "no_staff": "{emergency_number} {crisis_line}"}  # fmt: skip
    data = {
        "categories": {"act": {"level": "urgent", "label": "suicide"},
                       "low": {"level": "concern", "label": "low mood"}},
        "phrases": [{"id": "die", "category": "act", "patterns": ["die"]},
                    {"id": "sad", "category": "low", "patterns": ["sad"]}],
        "negations": ["never"],
        "crisis": replies,
        "concern": replies,
    }  # fmt: skip
    data.update(extra)
    return SafetyRules.model_validate(data)


def test_a_word_list_stands_for_each_of_its_entries_and_forgives_a_slip():
    tuned = small_rules(
        word_lists={"pills": ["tablets", "co-codamol", "sleeping pills"]},
        phrases=[{"id": "took", "category": "act", "patterns": ["took all (my|the) <pills>"]}],
    )
    for text in ("I took all my tablets", "took all the co-codamol", "took all my cocodamol",
                 "took all my sleeping pills", "took all my tablest"):  # fmt: skip
        assert level(text, tuned) == "urgent", text
    assert level("took all my coffee", tuned) == "none"
    assert level("took all my pills", tuned) == "none"  # only what the list names


def test_an_unknown_word_list_is_reported_with_its_place():
    with pytest.raises(ValueError, match=r"phrases\.0\.patterns: unknown word list <pills>"):
        small_rules(phrases=[{"id": "took", "category": "act", "patterns": ["took all <pills>"]}])


def test_a_joke_mark_reads_urgent_as_concern_never_as_nothing(rules):
    assert level("If I have to sit through one more meeting I'll kill someone lol", rules) == "concern"
    assert level("kms lol", rules) == "concern"
    assert level("shoot me now, another form (joking)", rules) == "none"
    assert level("I'm not joking, I'm going to kill myself", rules) == "urgent"
    assert level("I'll kill someone", rules) == "urgent"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a harmless phrase covers only its own words: the risk next to it still counts
        ("I hope I don't wake up in pain tomorrow", "none"),
        ("I hope I don't wake up", "concern"),
        ("I'm at the end of my rope with the NHS waiting list", "none"),
        ("I'm at the end of my rope", "concern"),
        ("I'm collecting my tablets from the pharmacy", "none"),
        ("I've been collecting my tablets", "urgent"),
        ("We're saying goodbye to our neighbours, they're moving", "none"),
        ("I wanted to say goodbye to you all before I go", "urgent"),
        # families, not sentences: other words in the same shape
        ("i'm going to swallow all my gabapentin", "urgent"),
        ("been researching the quickest way to die", "urgent"),
        ("i held a razor to my wrist", "urgent"),
        ("tonights the night", "urgent"),
        ("I'll be dead by friday", "urgent"),
        ("I can't cope any longer", "concern"),
        ("I've had enough of life", "concern"),
        ("there's no point in me going to the class", "none"),
    ],
)
def test_widened_families_and_their_harmless_neighbours(rules, text, expected):
    assert level(text, rules) == expected


def test_benign_phrase_drops_a_safety_hit_inside_it():
    assert screen("I could die laughing", small_rules()) is not None
    tuned = small_rules(benign=[{"id": "laughing", "patterns": ["die laughing"]}])
    assert screen("I could die laughing", tuned) is None
    assert screen("I could die laughing, and some days I just want to die", tuned) is not None


def test_most_worrying_level_wins():
    hit = screen("I am sad and want to die", small_rules())
    assert hit == RiskHit(level="urgent", category="act", phrase="die")


def test_negation_lowers_one_level_within_its_window_and_clause():
    rules = small_rules()
    assert level("I never ever would die", rules) == "concern"  # "never" three words before
    assert level("I am never sad", rules) == "none"
    assert level("never did I think about it and die", rules) == "urgent"  # too far back
    assert level("I never said it, but I want to die", rules) == "urgent"
    assert level("I never want to die", small_rules(negation_window=0)) == "urgent"


def test_short_words_are_not_fuzzy_in_safety_screen():
    rules = small_rules()
    assert screen("the diet is hard", rules) is None
    assert screen("dye my hair", rules) is None


def test_phq9_item9_alerts_by_its_own_thresholds(rules):
    assert item_risk("phq9", "q9", 1, rules) == RiskHit(level="concern", category="risk_answer", phrase="phq9.q9")
    assert item_risk("phq9", "q9", "3", rules) == RiskHit(level="urgent", category="risk_answer", phrase="phq9.q9")
    assert item_risk("phq9", "q9", 0, rules) is None
    assert item_risk("phq9", "q8", 3, rules) is None
    assert item_risk("gad7", "q9", 3, rules) is None
    assert item_risk("phq9", "q9", "skipped", rules) is None
    assert item_risk("phq9", "q9", None, rules) is None


def test_madrs_s_item9_is_a_risk_item_too(rules):
    assert item_risk("madrs_s", "s9", 1, rules) is None
    assert item_risk("madrs_s", "s9", 2, rules).level == "concern"
    assert item_risk("madrs_s", "s9", 5, rules).level == "urgent"


def test_explicit_safety_item_rule():
    rules = small_rules(items=[{"instrument": "gad7", "item": "q1", "at_least": 3, "category": "low"}])
    assert item_risk("gad7", "q1", 2, rules) is None
    assert item_risk("gad7", "q1", 3, rules) == RiskHit(level="concern", category="low", phrase="gad7.q1")


def test_third_fresh_sets_are_large_enough_and_labelled():
    fresh, fresh_everyday = labelled("fresh_risk.tsv"), labelled("fresh_everyday.tsv")
    assert len(fresh) >= 100 and {w for w, _ in fresh} == {"urgent", "concern"}
    assert len(fresh_everyday) >= 80 and {w for w, _ in fresh_everyday} == {"none"}


def test_fresh_set_keeps_its_floor_after_the_families_were_generalised_on_it(rules):
    """47 of 119 caught (39.5 %) before the backstop, 76 (63.9 %) with it, never tuned on until then;
    then euphemisms, stems, sound-alikes and plain means were generalised on it: 114 (95.8 %), 49 of
    63 urgent lines graded urgent, 1 of 87 everyday lines raised (as urgent, by a phrase family)."""
    found = [(want, level(text, rules)) for want, text in labelled("fresh_risk.tsv")]
    assert sum(got != "none" for _, got in found) >= 0.92 * len(found)
    assert sum(want == got == "urgent" for want, got in found) >= 46
    graded = [level(text, rules) for _, text in labelled("fresh_everyday.tsv")]
    assert sum(got != "none" for got in graded) <= 2
    assert sum(got == "urgent" for got in graded) <= 1


def test_unseen_set_with_the_backstop(rules):
    """The second unseen set, after the backstop was built with it: 61 of 66 caught (92.4 %)."""
    found = [(want, level(text, rules)) for want, text in labelled("unseen_risk.tsv")]
    assert sum(got != "none" for _, got in found) >= 0.88 * len(found)
    everyday = [text for _, text in labelled("unseen_everyday.tsv") if level(text, rules) != "none"]
    assert len(everyday) <= 2, everyday


def without_backstop(rules: SafetyRules) -> SafetyRules:
    return SafetyRules.model_validate({**rules.model_dump(), "backstop": None})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a word of death, means or self-harm in the writer's voice, no phrase family for it
        ("I keep thinking about death", "concern"),
        ("stockpiling again", "concern"),
        ("bleeding myself to feel better", "concern"),
        ("I've decided, the gun is loaded", "concern"),  # the decision is a clause away: not urgent
        # with a sign of intent in the same clause: urgent
        ("Going to the train tracks tonight", "urgent"),
        ("so ready to be gone", "urgent"),
    ],
)
def test_backstop_reads_risk_words_no_phrase_family_names(rules, text, expected):
    assert level(text, rules) == expected
    assert level(text, without_backstop(rules)) == "none"


@pytest.mark.parametrize(
    "text",
    [
        "my dog died last week",  # someone or something else is the subject
        "the battery is dead",
        "My dad died of cancer",
        "I'm not going to die from this",  # negated
        "there's a rope in the shed",  # a means word alone is not enough
    ],
)
def test_backstop_leaves_other_subjects_negations_and_lone_objects_quiet(rules, text):
    assert level(text, rules) == "none"


@pytest.mark.parametrize(
    "text",
    [
        "this pain is killing me",
        "My back is killing me tonight",
        "dead tired",
        "I'm dead tired, going to bed early tonight",
        "I'm dying for a coffee",
        "dying to get back to the gym tomorrow",
        "killer headache today",
        "I need to cut down on the biscuits",
        "I'll jump in the shower",
        "the train journey was long",
        "went over the bridge to the physio",
        "I could kill for a pizza",
        "I'm going to kill my brother for eating my biscuits",
    ],
)
def test_idioms_are_never_urgent_and_the_common_ones_stay_quiet(rules, text):
    assert level(text, rules) == "none"


def test_idioms_in_every_everyday_set_are_never_urgent_from_the_backstop(rules):
    names = ("everyday.tsv", "heldout_everyday.tsv", "unseen_everyday.tsv", "fresh_everyday.tsv")
    hits = [screen(text, rules) for name in names for _, text in labelled(name)]
    assert [hit for hit in hits if hit is not None and hit.urgent and hit.phrase.startswith("backstop.")] == []


def test_backstop_never_says_urgent_on_a_word_alone(rules):
    hit = screen("I keep thinking about death", rules)
    assert hit is not None and hit.level == "concern" and hit.category == "risk_words"
    hit = screen("Going to the train tracks tonight", rules)
    assert hit is not None and hit.urgent and hit.category == "risk_words_intent"
    assert hit.phrase.startswith("backstop.")


def test_a_backstop_category_must_exist_at_its_level(rules):
    data = rules.model_dump()
    data["backstop"]["urgent_category"] = "risk_words"
    with pytest.raises(ValueError, match=r"backstop\.urgent_category: category 'risk_words' must be urgent"):
        SafetyRules.model_validate(data)
