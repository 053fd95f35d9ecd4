"""Every shipped instrument scored against hand-computed examples, from the real YAML."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.content.programme import Programme
from bot.content.schema import Instrument
from bot.measures.scoring import ScoringError, score


def answers(prefix: str, values: list[int], start: int = 1) -> dict[str, int]:
    return {f"{prefix}{i}": v for i, v in enumerate(values, start)}


def test_phq9_sum_band_cutoff_and_item9_alert(programme: Programme) -> None:
    phq9 = programme.instruments["phq9"]
    result = score(phq9, answers("q", [1, 2, 0, 3, 1, 0, 2, 1, 0]))
    assert result.total == 10  # 1+2+0+3+1+0+2+1+0
    assert result.band == "moderate"
    assert result.screen_positive is True
    assert result.alerts == ()
    assert not result.prorated
    flagged = score(phq9, answers("q", [0, 0, 0, 0, 0, 0, 0, 0, 1]))
    assert (flagged.total, flagged.band, flagged.alerts) == (1, "minimal", ("q9",))


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe")],
)  # fmt: skip
def test_phq9_bands_at_their_boundaries(programme: Programme, total: int, band: str) -> None:
    values = [min(3, max(0, total - 3 * i)) for i in range(9)]
    assert sum(values) == total
    assert score(programme.instruments["phq9"], answers("q", values)).band == band


@pytest.mark.parametrize(
    ("total", "band"), [(4, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"), (21, "severe")]
)
def test_gad7_bands(programme: Programme, total: int, band: str) -> None:
    values = [min(3, max(0, total - 3 * i)) for i in range(7)]
    assert score(programme.instruments["gad7"], answers("q", values)).band == band


def test_phq9_prorates_up_to_two_missing_items_then_gives_no_score(programme: Programme) -> None:
    phq9 = programme.instruments["phq9"]
    two_missing = score(phq9, answers("q", [1, 2, 0, 3, 1, 0, 2]))  # q8, q9 unanswered: mean 9/7
    assert two_missing.total == pytest.approx(9 / 7 * 9, abs=1e-4)
    assert two_missing.prorated
    assert two_missing.items_missing == ("q8", "q9")
    three_missing = score(phq9, answers("q", [1, 2, 0, 3, 1, 0]))
    assert three_missing.total is None
    assert three_missing.band is None
    assert not three_missing.prorated


def test_gad7_prorates_one_missing_item_only(programme: Programme) -> None:
    gad7 = programme.instruments["gad7"]
    assert score(gad7, answers("q", [3, 3, 3, 3, 3, 0])).total == pytest.approx(15 / 6 * 7, abs=1e-4)
    assert score(gad7, answers("q", [3, 3, 3, 3, 3])).total is None


def test_csq_catastrophizing_is_a_sum_0_to_36_prorated_over_one_missing_item(programme: Programme) -> None:
    csq = programme.instruments["csq_catastrophizing"]
    assert score(csq, answers("c", [6, 6, 6, 6, 6, 6])).total == 36
    assert score(csq, answers("c", [0, 1, 2, 3, 4, 5])).total == 15
    assert score(csq, answers("c", [0, 1, 2, 3, 4])).total == 12  # (0+1+2+3+4)/5 x 6
    assert score(csq, answers("c", [0, 1, 2, 3])).total is None  # two missing: no score


@pytest.mark.parametrize(
    "values", [[0, 1, 2, 3, 4, 5], [6, 6, 6, 6, 6], [2, None, 5, 1, 0, 3], [1, 2, 3, 4], [None] * 6]
)
def test_the_primary_outcome_scores_alike_from_either_csq_file(programme: Programme, values: list[int | None]) -> None:
    short = score(programme.instruments["csq_catastrophizing"], answers("c", values))
    full = score(programme.instruments["csq"], answers("cat", values)).scales["catastrophizing"]
    assert (short.total, short.prorated) == (full.value, full.prorated)


def test_full_csq_has_every_table_iii_subscale_with_catastrophizing_primary(programme: Programme) -> None:
    csq = programme.instruments["csq"]
    given = {
        **answers("div", [1, 1, 1, 1, 1, 1]), **answers("rei", [2, 2, 2, 2, 2, 2]),
        **answers("css", [3, 3, 3, 3, 3, 3]), **answers("ign", [4, 4, 4, 4, 4, 4]),
        **answers("pra", [5, 5, 5, 5, 5, 5]), **answers("cat", [0, 1, 2, 3, 4, 6]),
        **answers("act", [6, 6, 6, 6, 6]),  # act6 unanswered: prorated 30/5*6 = 36
        "control": 4, "decrease": 2,
    }  # fmt: skip
    result = score(csq, given)
    assert result.total == 16  # catastrophizing 0+1+2+3+4+6
    assert result.subscales == {
        "diverting": 6, "reinterpreting": 12, "self_statements": 18, "ignoring": 24, "praying": 30,
        "catastrophizing": 16, "activity": 36, "control_over_pain": 4, "ability_to_decrease": 2,
    }  # fmt: skip
    assert result.scales["activity"].prorated and result.items_missing == ("act6",)
    assert csq.total_scale is not None and csq.total_scale.better == "lower"


def test_mpi_s_scales_are_item_means(programme: Programme) -> None:
    mpi = programme.instruments["mpi_s"]
    given = {item.id: 3 for item in mpi.items}
    given |= {"severity1": 6, "severity2": 3, "severity3": 0, "control1": 5, "control2": 2}
    del given["solicitous6"]  # one of six missing: the mean of the five answered
    given |= {"solicitous1": 0, "solicitous2": 1, "solicitous3": 2, "solicitous4": 3, "solicitous5": 4}
    result = score(mpi, given)
    assert result.total == 3  # pain severity (6+3+0)/3 is the primary scale
    assert result.subscales["life_control"] == 3.5
    assert result.subscales["solicitous"] == 2.0
    assert result.subscales["interference"] == 3.0
    del given["severity3"]
    assert score(mpi, given).subscales["pain_severity"] is None  # a 3-item scale allows no gap


def test_mpi_s_mood_is_reverse_scored_inside_affective_distress_only(programme: Programme) -> None:
    mpi = programme.instruments["mpi_s"]
    given = {item.id: 3 for item in mpi.items} | {"mood": 5, "distress2": 4, "distress3": 2}
    # very good mood (5 of 6) is low distress: (6 - 5) + 4 + 2 = 7, mean 7/3
    assert score(mpi, given).subscales["affective_distress"] == pytest.approx(7 / 3, abs=1e-4)
    given["mood"] = 0  # very low mood: (6 - 0) + 4 + 2 = 12, mean 4
    assert score(mpi, given).subscales["affective_distress"] == 4.0
    assert score(mpi, given).subscales["interference"] == 3.0  # no other scale is touched


def test_pairs_sum_0_to_90(programme: Programme) -> None:
    pairs = programme.instruments["pairs"]
    values = [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 6]
    assert score(pairs, answers("p", values)).total == 48
    assert score(pairs, answers("p", values[:14])).total == pytest.approx(42 / 14 * 15, abs=1e-4)


def test_hads_anxiety_odd_items_depression_even_items_with_bands(programme: Programme) -> None:
    hads = programme.instruments["hads"]
    values = [3, 0, 2, 1, 1, 1, 2, 0, 1, 2, 0, 0, 2, 3]  # h1..h14
    result = score(hads, answers("h", values))
    assert result.subscales == {"anxiety": 11, "depression": 7}  # 3+2+1+2+1+0+2 ; 0+1+1+0+2+0+3
    assert result.scales["anxiety"].band == "abnormal"
    assert result.scales["depression"].band == "normal"
    assert result.total == 11 and result.screen_positive is True


def test_qoli_weights_satisfaction_by_importance_over_areas_that_matter(programme: Programme) -> None:
    qoli = programme.instruments["qoli"]
    given: dict[str, int] = {}
    for area in range(1, 17):
        given[f"imp{area}"] = 1
        given[f"sat{area}"] = 1
    given |= {"imp1": 2, "sat1": 3, "imp2": 2, "sat2": -2, "imp3": 0, "sat3": -3}
    # areas: 2*3=6, 2*-2=-4, area 3 not important (left out), 13 areas of 1*1 -> (6-4+13)/15 = 1.0
    assert score(qoli, given).total == 1.0
    given["sat4"] = -3  # (6-4-3+12)/15
    assert score(qoli, given).total == pytest.approx(11 / 15, abs=1e-4)
    for area in (5, 6, 7):
        del given[f"sat{area}"]
    assert score(qoli, given).total == pytest.approx((6 - 4 - 3 + 9) / 12, abs=1e-4)
    del given["imp8"]  # a fourth area without both ratings: no score
    assert score(qoli, given).total is None


def test_qoli_satisfaction_has_six_options_and_no_neutral_zero(programme: Programme) -> None:
    qoli = programme.instruments["qoli"]
    assert qoli.items[1].id == "sat1" and qoli.items[1].answers == (-3, -2, -1, 1, 2, 3)
    given = {f"imp{a}": 1 for a in range(1, 17)} | {f"sat{a}": -1 for a in range(1, 17)}
    assert score(qoli, given).total == -1.0
    with pytest.raises(ScoringError, match=r"sat1.*not one of \[-3, -2, -1, 1, 2, 3\]"):
        score(qoli, given | {"sat1": 0})


def test_qoli_is_unscorable_when_no_area_is_rated_important(programme: Programme) -> None:
    qoli = programme.instruments["qoli"]
    given = {f"imp{a}": 0 for a in range(1, 17)} | {f"sat{a}": 3 for a in range(1, 17)}
    result = score(qoli, given)
    assert result.total is None and result.band is None  # not a neutral 0.0
    assert score(qoli, given | {"imp5": 2}).total == 6.0  # one area that matters: 2 x 3


def test_madrs_s_screen_is_positive_above_20_as_the_seed_excluded(programme: Programme) -> None:
    madrs = programme.instruments["madrs_s"]
    below = score(madrs, answers("s", [3, 2, 2, 2, 2, 2, 2, 2, 2]))
    at = score(madrs, answers("s", [4, 2, 2, 2, 2, 2, 2, 2, 2]))
    above = score(madrs, answers("s", [5, 2, 2, 2, 2, 2, 2, 2, 2]))
    assert (below.total, below.screen_positive, below.band) == (19, False, "mild")
    assert (at.total, at.screen_positive, at.band) == (20, False, "moderate")  # 20 is still included
    assert (above.total, above.screen_positive) == (21, True)
    madrs_screen = next(s for s in programme.trial.screens if s.instrument == "madrs_s")  # type: ignore[union-attr]
    assert madrs_screen.exclude_total_at_least == 21  # the trial excludes exactly the positive screens


def test_instrument_sds_are_the_seeds_pooled_baseline_sds(programme: Programme) -> None:
    from bot.measures.seed_paper import TABLE_III

    for (instrument_id, scale_id), row in TABLE_III.items():
        scale = next(s for s in programme.instruments[instrument_id].scales if s.id == scale_id)
        assert scale.sd == pytest.approx(row.pooled_pre_sd, abs=0.1), (instrument_id, scale_id)
    diverting = next(s for s in programme.instruments["csq"].scales if s.id == "diverting")
    assert diverting.sd == 5.8


def test_every_scale_names_the_source_of_its_reliability(programme: Programme) -> None:
    for instrument in programme.instruments.values():
        for scale in instrument.scales:
            assert scale.reliability is not None and scale.reliability_source, (instrument.id, scale.id)


def test_pain_rating_single_item(programme: Programme) -> None:
    assert score(programme.instruments["pain_rating"], {"average_week": 7}).total == 7


def test_reverse_items_and_item_values_are_applied_before_summing() -> None:
    inst = Instrument.model_validate(
        {
            "id": "made_up", "title": "Made up", "licence": "own",
            "items": [
                {"id": "a", "max": 4, "text": "A"},
                {"id": "b", "max": 4, "reverse": True, "text": "B"},
                {"id": "c", "min": 1, "max": 3, "values": {1: 0, 2: 5, 3: 10}, "text": "C"},
            ],
            "scales": [{"id": "total", "title": "Total"}, {"id": "ab", "title": "AB", "items": ["a", "b"], "method": "mean"}],
        }
    )  # fmt: skip
    result = score(inst, {"a": 1, "b": 1, "c": 2})
    assert result.total == 1 + 3 + 5  # b reversed: 0+4-1
    assert result.subscales["ab"] == 2.0


def test_a_scale_reverses_its_own_items_and_response_options_are_enforced() -> None:
    inst = Instrument.model_validate(
        {
            "id": "made_up", "title": "Made up", "licence": "own",
            "items": [{"id": "a", "max": 4}, {"id": "b", "max": 4}, {"id": "c", "min": -2, "max": 2, "options": [-2, -1, 1, 2]}],
            "scales": [{"id": "ab", "title": "AB", "items": ["a", "b"], "reverse": ["b"]},
                       {"id": "b_as_is", "title": "B", "items": ["b"]}, {"id": "c", "title": "C", "items": ["c"]}],
        }
    )  # fmt: skip
    result = score(inst, {"a": 1, "b": 1, "c": -1})
    assert result.subscales == {"ab": 1 + 3, "b_as_is": 1, "c": -1}
    with pytest.raises(ScoringError, match="not one of"):
        score(inst, {"c": 0})


def test_answers_that_cannot_belong_to_the_instrument_are_refused(programme: Programme) -> None:
    phq9 = programme.instruments["phq9"]
    with pytest.raises(ScoringError, match=r"outside 0\.\.3"):
        score(phq9, {"q1": 4})
    with pytest.raises(ScoringError, match=r"no item .q10."):
        score(phq9, {"q10": 1})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scales": [{"id": "t", "title": "T", "items": ["zz"]}]}, "no item 'zz'"),
        ({"scales": [{"id": "t", "title": "T", "bands": [{"min": 5, "label": "x"}, {"min": 0, "label": "y"}]}]}, "rising order"),
        ({"scales": [{"id": "t", "title": "T", "method": "weighted_mean"}]}, "needs a weight"),
        ({"scales": [{"id": "t", "title": "T", "max_missing": 2}]}, "max_missing"),
        ({"primary": "nope", "scales": [{"id": "t", "title": "T"}]}, "primary"),
        ({"scales": [{"id": "t", "title": "T", "items": ["a"], "reverse": ["b"]}]}, "reverse: 'b' is not an item"),
        ({"items": [{"id": "a", "max": 3, "options": [0, 2, 1, 3]}, {"id": "b", "max": 3}]}, "options must rise"),
        ({"items": [{"id": "a", "max": 3, "options": [1, 2, 3]}, {"id": "b", "max": 3}]}, "options must rise"),
    ],
)  # fmt: skip
def test_bad_scoring_rules_are_refused_at_validation(change: dict[str, object], message: str) -> None:
    base = {"id": "x", "title": "X", "licence": "own", "items": [{"id": "a", "max": 3}, {"id": "b", "max": 3}]}
    with pytest.raises(ValidationError, match=message):
        Instrument.model_validate(base | change)


def test_every_shipped_instrument_has_a_total_with_reliable_change_parameters(programme: Programme) -> None:
    for instrument in programme.instruments.values():
        total = instrument.total_scale
        assert total is not None, instrument.id
        assert total.sd is not None and total.reliability is not None, instrument.id


def test_the_chat_offers_the_qoli_satisfaction_options_only(programme: Programme) -> None:
    from bot.engine.fields import item_field

    qoli = programme.instruments["qoli"]
    asked = item_field(qoli, next(i for i in qoli.items if i.id == "sat1"))
    assert asked.kind == "choice" and [o.id for o in asked.options] == ["-3", "-2", "-1", "1", "2", "3"]
    importance = item_field(qoli, next(i for i in qoli.items if i.id == "imp1"))
    assert (importance.kind, importance.min, importance.max) == ("scale", 0, 2)
