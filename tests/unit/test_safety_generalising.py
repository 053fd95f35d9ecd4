"""Safety screening on writing no phrase was written for: stems, sound-alikes, everyday words that are
not slips, hopelessness said of "it" or "everything", means words used plainly, absences with a reason,
euphemisms of leaving; and the fourth sentence set, never tuned on, with its measured floor."""

from __future__ import annotations

import pytest

from bot.safety import level, screen
from bot.safety.normalise import respell
from bot.safety.patterns import PhraseIndex, match_at, sequences
from tests.support.safety_sets import labelled


def test_a_stem_finds_every_ending_and_forgives_a_slip_in_a_long_stem():
    (seq,) = sequences("suicid*", {})
    for word in ("suicide", "suicidal", "suicidally", "sucidal"):
        assert match_at(seq, (word,), 0) == 1, word
    assert match_at(seq, ("suit",), 0) is None
    index = PhraseIndex([(seq, "stem")])
    assert [end for _, end, _ in index.spans(("feeling", "suicidey"))] == [2]


def test_a_gap_may_reach_the_end_of_a_clause():
    index = PhraseIndex([(s, "x") for s in sequences("join my husband ... $", {})])
    assert index.spans(("join", "my", "husband", "in", "heaven"))
    assert index.spans(("join", "my", "husband"))
    assert not index.spans(("join", "my", "husband", "a", "b", "c", "d", "e", "f"))


def test_plain_words_are_never_read_as_a_slip():
    (seq,) = sequences("dying", {})
    assert PhraseIndex([(seq, "x")]).spans(("doing",))
    assert not PhraseIndex([(seq, "x")], plain_words=frozenset({"doing"})).spans(("doing",))


def test_sound_alikes_are_read_as_the_words_they_stand_for(rules):
    table = rules.compiled().sound_alikes or {}
    assert respell(("i", "cut", "my", "rests"), table) == ("i", "cut", "my", "wrists")
    assert respell(("the", "rests", "between", "sets"), table) == ("the", "rests", "between", "sets")
    assert level("I'm going to take an over dose of my tram a doll tonight", rules) == "urgent"
    assert level("I cut my rests again last night", rules) == "urgent"
    assert level("I have been stock piling my pregnant balin", rules) == "urgent"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm ready to go and join my husband", "concern"),
        ("My time's up, I've had a good innings", "concern"),
        ("I'm tired of being here", "concern"),
        ("I want to go to sleep and not wake up", "concern"),
        ("I just want out.", "concern"),
        ("I'd like to go to sleep and stay asleep", "concern"),
        ("I keep wishing the Lord would call me home", "concern"),
        ("Can't wait for the sweet release of death", "concern"),
        ("pointless. it's all pointless.", "concern"),
        ("everything is pointless now", "concern"),
        ("this isn't a life", "concern"),
        ("Can someone just put me out of my misery", "concern"),
        ("I'm a load on my son and daughter in law", "concern"),
        ("took like 20 of my nans co-codamol an hour ago", "urgent"),
        ("I swallowed a hole bottle of paracetamol an hour ago", "urgent"),
        ("I burned my arm with a lighter again to feel something", "urgent"),
        ("I keep self-harming", "urgent"),
    ],
)
def test_euphemisms_stems_and_impersonal_hopelessness_are_read(rules, text, expected):
    assert level(text, rules) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The car exhaust fell off on the motorway, what a day",
        "The razor blades for my husband's shaver are so expensive",
        "My teenager jumped off the diving board for the first time, proud mum",
        "I won't be around on Friday, hospital appointment",
        "I won't be here tomorrow, I'm visiting my sister",
        "Walking is a pain in the neck but I'm doing it",
        "It's pointless trying to park at the hospital",
        "The tram a doll makes me really sleepy in the afternoons",
    ],
)
def test_plain_means_explained_absences_and_everyday_words_stay_quiet(rules, text):
    assert level(text, rules) == "none"


def test_plain_means_count_with_the_writer_and_a_sign_of_death_or_intent(rules):
    assert level("I'm going to breathe the car exhaust tonight", rules) == "urgent"
    hit = screen("Taking everything tonight.", rules)
    assert hit is not None and hit.urgent


def test_an_absence_without_a_reason_still_alerts(rules):
    assert level("I won't be here tomorrow", rules) == "urgent"
    assert level("I won't be around much longer, it's all sorted", rules) != "none"


def test_fourth_sets_are_large_enough_and_labelled():
    risk, everyday = labelled("fourth_risk.tsv"), labelled("fourth_everyday.tsv")
    assert len(risk) >= 100 and {w for w, _ in risk} == {"urgent", "concern"}
    assert len(everyday) >= 80 and {w for w, _ in everyday} == {"none"}


def test_fourth_set_keeps_its_measured_floor(rules):
    """Written before this round's changes and never tuned on: 74 of 112 caught (66.1 %) and 15 of 87
    everyday lines raised (4 urgent) before; 73 (65.2 %), 26 of 54 urgent lines graded urgent, and 11
    raised (3 urgent) after. The honest figure for new writing; a floor a little under it."""
    found = [(want, level(text, rules)) for want, text in labelled("fourth_risk.tsv")]
    assert sum(got != "none" for _, got in found) >= 0.62 * len(found)
    assert sum(want == got == "urgent" for want, got in found) >= 23
    graded = [level(text, rules) for _, text in labelled("fourth_everyday.tsv")]
    assert sum(got != "none" for got in graded) <= 12
    assert sum(got == "urgent" for got in graded) <= 3


@pytest.mark.parametrize("text", [
    "The train was packed so I stood all the way, my back is killing me",
    "The bus was packed and this pain is killing me",
])  # fmt: skip
def test_an_intent_marker_is_read_only_as_written(text, rules):
    """A slip is forgiven in risk words, never in the markers that lift them to urgent: "packed" is not
    "picked", so a pain idiom beside a means word never becomes urgent."""
    assert level(text, rules) != "urgent"


@pytest.mark.parametrize(("text", "expected"), [
    ("dont wanna b here anymore", "concern"),
    ("no1 wd miss me", "concern"),
    ("u wont c me again after 2nite", "urgent"),
    ("you won't hear from me again, goodbye", "urgent"),
    ("you won't see me again till after Easter, I'm away", "none"),
    ("plan b is to ask the physio", "none"),
    ("vitamin c and d every day", "none"),
    ("r u coming 2nite", "none"),
])  # fmt: skip
def test_clipped_mobile_typing_is_read_as_the_words_it_stands_for(text, expected, rules):
    """Letters and digits for words ("b", "c", "no1", "2nite") are written out before matching, and a
    goodbye that says they will not be seen again is a warning sign unless a reason explains it."""
    assert level(text, rules) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("going to be with Jesus soon", "concern"),
    ("I want to go home to the Lord", "concern"),
    ("God forgive me for what I'm about to do", "urgent"),
    ("God forgive me for what I said to my sister", "none"),
    ("I want to go home now, my back hurts too much to stay at the party", "none"),
    ("We went to church and sang, it was lovely", "none"),
    ("My husband is in heaven now, I miss him", "none"),
])  # fmt: skip
def test_religious_ways_of_leaving_are_read_and_everyday_faith_is_not(text, expected, rules):
    assert level(text, rules) == expected
