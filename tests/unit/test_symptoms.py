"""Symptom checks during treatment: scores for the therapist, a rise past the threshold flagged."""

from __future__ import annotations

import pytest

from bot.content.programme import Programme
from bot.errors import ConfigError
from bot.measures.scoring import score
from bot.measures.symptoms import staff_text, symptom_check
from bot.settings import load_settings


def phq9(programme: Programme, total: int):
    values = [min(3, max(0, total - 3 * i)) for i in range(9)]
    return score(programme.instruments["phq9"], {f"q{i + 1}": v for i, v in enumerate(values)})


@pytest.mark.parametrize(("baseline", "now", "flagged"), [(7, 11, False), (7, 12, True), (7, 13, True), (12, 7, False)])
def test_a_rise_of_at_least_the_threshold_since_baseline_is_flagged(programme, baseline, now, flagged):
    check = symptom_check("P-0001", "week04", phq9(programme, now), [baseline], threshold=5)
    assert check.flagged is flagged
    assert check.rise == now - baseline


def test_a_rise_since_the_previous_check_counts_too(programme):
    check = symptom_check("P-0001", "week08", phq9(programme, 10), [9, 4], threshold=5)
    assert (check.rise, check.flagged) == (6, True)


def test_no_baseline_or_no_score_is_never_flagged(programme):
    assert not symptom_check("P-0001", "week04", phq9(programme, 20), [], threshold=5).flagged
    unscored = score(programme.instruments["phq9"], {"q1": 3})
    assert not symptom_check("P-0001", "week04", unscored, [2], threshold=5).flagged


def test_the_therapist_sees_the_score_and_the_flag(programme):
    msg = lambda key, **params: programme.msg("en", key, **params)  # noqa: E731
    plain = staff_text(symptom_check("P-0001", "week04", phq9(programme, 8), [7], 5), msg)
    assert plain == "P-0001: phq9 at week04: 8 (mild). At the start: 7."
    flagged = staff_text(symptom_check("P-0001", "week04", phq9(programme, 15), [7], 5), msg)
    assert flagged.endswith("Flag: P-0001's score has risen by 8 points. Please check in with them soon.")


def test_the_threshold_is_a_setting_with_a_readable_error():
    assert load_settings(None, symptom_rise_threshold=3).symptom_rise_threshold == 3
    with pytest.raises(ConfigError, match=r"^config error: ICBT_SYMPTOM_RISE_THRESHOLD: "):
        load_settings(None, symptom_rise_threshold=0)
