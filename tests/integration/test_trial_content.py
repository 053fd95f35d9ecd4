"""content/trial/trial.yaml: the shipped file loads, and broken copies fail with `file: path: problem`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.loader import load_programme
from bot.errors import ContentError
from tests.support.content import edit, validate

TRIAL = "trial/trial.yaml"


def problems(copy: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_programme(copy)
    return caught.value.problems


def test_shipped_trial_has_two_arms_in_one_to_one_and_the_seed_criteria(programme):
    trial = programme.trial
    assert [(a.id, a.weight) for a in trial.arms] == [("treatment", 1), ("waiting_list", 1)]
    assert [c.id for c in trial.criteria] == [
        "age", "internet", "physician", "back_pain", "pain_duration", "work", "sick_leave", "wheelchair",
        "surgery", "heart",
    ]  # fmt: skip
    assert trial.contact_question == "contact"
    assert all(programme.text(a.told, "en") for a in trial.arms)


def test_a_programme_without_trial_file_loads_without_trial(copy):
    (copy / TRIAL).unlink()
    assert load_programme(copy).trial is None


def test_unknown_rule_names_the_field(copy):
    edit(copy / TRIAL, lambda d: d["criteria"][0].update(rule="roughly"))
    code, lines = validate(copy)
    assert code == 1
    assert lines[0].startswith("content/trial/trial.yaml: criteria.0.rule: Input should be 'between'")


def test_rule_without_its_bounds(copy):
    edit(copy / TRIAL, lambda d: d["criteria"][0].pop("max"))
    assert "content/trial/trial.yaml: criteria.0: rule 'between' needs min and max" in problems(copy)


def test_block_size_must_fit_the_ratio(copy):
    def two_to_one_in_blocks(data):
        data["arms"][0].update(weight=2)
        data.pop("max_imbalance")

    edit(copy / TRIAL, two_to_one_in_blocks)
    assert "content/trial/trial.yaml: block_sizes: 4 is not a multiple of the arms' weights (3)" in problems(copy)


def test_the_big_stick_needs_arms_of_equal_weight(copy):
    edit(copy / TRIAL, lambda d: d["arms"][0].update(weight=2))
    assert any("max_imbalance: the big stick design needs arms of equal weight (use block_sizes)" in line
               for line in problems(copy))  # fmt: skip


def test_criterion_naming_an_unknown_question(copy):
    edit(copy / TRIAL, lambda d: d["criteria"][1].update(question="email"))
    assert "content/trial/trial.yaml: (top): criterion 'internet': no question 'email'" in problems(copy)


def test_screen_naming_an_unknown_instrument_or_item(copy):
    edit(copy / TRIAL, lambda d: d["screens"][0].update(instrument="phq8"))
    assert "content/trial/trial.yaml: screens.0.instrument: no instrument 'phq8' in instruments/" in problems(copy)


def test_screen_item_must_exist(copy):
    edit(copy / TRIAL, lambda d: d["screens"][0].update(exclude_items_above={"q10": 0}))
    assert "content/trial/trial.yaml: screens.0: instrument 'phq9' has no item 'q10'" in problems(copy)


def test_calendar_with_a_gap(copy):
    edit(copy / TRIAL, lambda d: d["arms"][1]["calendar"][1].update(weeks=[3, 9]))
    assert "content/trial/trial.yaml: arms.1: calendar: phase 'waiting' must start in week 2" in problems(copy)


def test_crossover_needs_its_offer(copy):
    edit(copy / TRIAL, lambda d: d["arms"][1].pop("crossover_offer"))
    assert "content/trial/trial.yaml: arms.1: an arm with crossover needs a crossover_offer text" in problems(copy)


def test_every_trial_text_needs_every_declared_language(copy):
    edit(copy / "programme.yaml", lambda d: d.update(languages=["en", "sv"]))
    found = [p for p in problems(copy) if p.startswith("content/trial/trial.yaml")]
    assert (
        "content/trial/trial.yaml: questions.0.text: missing translation for 'sv' (write the text as a mapping per language)"
        in found
    )
    assert (
        "content/trial/trial.yaml: arms.0.told: missing translation for 'sv' (write the text as a mapping per language)"
        in found
    )
    assert (
        "content/trial/trial.yaml: criteria.0.not_eligible: missing translation for 'sv' (write the text as a mapping per language)"
        in found
    )
    edit(copy / "trial/trial.yaml", lambda d: d["arms"][0].update(told={"en": "Now.", "sv": "Nu."}))
    assert not any(p.startswith("content/trial/trial.yaml: arms.0.told") for p in problems(copy))
