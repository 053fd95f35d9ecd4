"""The trial's pure rules: eligibility at its boundaries, the concealed allocation, each arm's calendar."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from bot.trial.allocation import ArmWeight, allocation_at, draw, sequence, stratum_of
from bot.trial.arms import arm_day, local_day, next_check_in
from bot.trial.eligibility import active_screens, assess, months_between
from tests.support.trial import APPLIED, good_answers


def reasons(programme, **changes: object) -> list[str]:
    result = assess(programme.trial, good_answers(**changes), APPLIED)
    assert result.eligible == (not result.reasons)
    return [r.id for r in result.reasons]


def test_a_good_application_is_eligible(programme):
    assert reasons(programme) == []


@pytest.mark.parametrize(("age", "eligible"), [(17, False), (18, True), (65, True), (66, False)])
def test_age_18_to_65_inclusive(programme, age, eligible):
    assert (reasons(programme, age=age) == []) is eligible


@pytest.mark.parametrize(
    ("since", "eligible"),
    [("2026-01-10", False), ("2026-01-09", True), ("2026-01-11", False), ("2026-04-01", False)],
)
def test_pain_must_last_more_than_three_calendar_months(programme, since, eligible):
    # applied 2026-04-10: pain since 2026-01-10 is exactly 3 months (excluded), since 01-09 is 3 months and a day
    assert (reasons(programme, pain_since=since) == []) is eligible


def test_months_between_counts_calendar_months_and_clamps_month_ends():
    assert months_between(date(2026, 1, 10), date(2026, 4, 10)) == (3, 0)
    assert months_between(date(2026, 1, 9), date(2026, 4, 10)) == (3, 1)
    assert months_between(date(2025, 11, 30), date(2026, 2, 28)) == (2, 29)


@pytest.mark.parametrize(("months", "eligible"), [(0, True), (6, True), (7, False), (6.5, False)])
def test_sick_leave_of_at_most_six_months(programme, months, eligible):
    assert (reasons(programme, work="sick_leave", sick_leave_months=months) == []) is eligible


def test_sick_leave_months_are_asked_only_of_those_on_sick_leave(programme):
    assert reasons(programme, work="employed", sick_leave_months=24) == []
    assert reasons(programme, work="sick_leave") == ["sick_leave"]  # missing answer: not eligible
    assert reasons(programme, work="other") == ["work"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"internet": False}, "internet"),
        ({"physician": False}, "physician"),
        ({"pain_region": "elsewhere"}, "back_pain"),
        ({"wheelchair": True}, "wheelchair"),
        ({"surgery_planned": True}, "surgery"),
        ({"heart_disease": True}, "heart"),
    ],
)
def test_each_yes_no_criterion_excludes(programme, change, reason):
    assert reasons(programme, **change) == [reason]


def test_every_reason_is_collected_with_plain_words(programme):
    result = assess(programme.trial, good_answers(age=70, wheelchair=True), APPLIED)
    assert [r.id for r in result.reasons] == ["age", "wheelchair"]
    assert all(r.kind == "criterion" and programme.text(r.message, "en") for r in result.reasons)


def phq(total: int, item9: int = 0) -> dict[str, int]:
    items = {f"q{i}": 0 for i in range(1, 10)}
    items["q9"] = item9
    rest = total - item9
    for i in range(1, 9):
        items[f"q{i}"] = min(3, rest)
        rest -= items[f"q{i}"]
    assert sum(items.values()) == total
    return items


def test_depression_screen_cut_off_at_15(programme):
    assert reasons(programme, phq9=phq(14)) == []
    result = assess(programme.trial, good_answers(phq9=phq(15)), APPLIED)
    assert [(r.id, r.kind, r.risk) for r in result.reasons] == [("depression", "screen", False)]
    assert result.scores[0].total == 15


def test_item_9_above_0_excludes_and_flags_risk(programme):
    result = assess(programme.trial, good_answers(phq9=phq(1, item9=1)), APPLIED)
    assert [r.id for r in result.reasons] == ["depression"]
    assert result.risk
    assert not assess(programme.trial, good_answers(phq9=phq(14)), APPLIED).risk


def test_licensed_screens_are_used_only_when_their_wording_is_supplied(programme):
    active = active_screens(programme.trial, programme.instruments)
    assert [s.id for s in active] == ["depression"]  # MADRS-S and HADS have no wording in the repo
    madrs = next(s for s in programme.trial.screens if s.id == "madrs")
    hads = next(s for s in programme.trial.screens if s.id == "anxiety_depression")
    answers = good_answers(madrs_s={"m1": 20}, hads={"h1": 21})
    assert assess(programme.trial, answers, APPLIED, screens=(madrs, hads)).eligible  # 20 includes; HADS records
    result = assess(programme.trial, good_answers(madrs_s={"m1": 21}, hads={"h1": 21}), APPLIED, (madrs, hads))
    assert [r.id for r in result.reasons] == ["madrs"]
    assert {s.id: s.total for s in result.scores} == {"madrs": 21, "anxiety_depression": 21}


# -- allocation ------------------------------------------------------------------------------------------

ARMS = (ArmWeight("treatment", 1), ArmWeight("waiting_list", 1))
SIZES = (2, 4, 6)


def max_imbalance(arms: list[str], weights: tuple[ArmWeight, ...]) -> float:
    counts: Counter[str] = Counter()
    unit = sum(w.weight for w in weights)
    worst = 0.0
    for n, arm in enumerate(arms, 1):
        counts[arm] += 1
        worst = max(worst, *(abs(counts[w.id] - n * w.weight / unit) for w in weights))
    return worst


def test_a_thousand_allocations_are_balanced_within_the_largest_block_overall_and_per_stratum():
    seed = b"site-secret"
    strata = ["sex=female", "sex=male", "sex=other"]
    overall: list[str] = []
    per: dict[str, list[str]] = {s: [] for s in strata}
    for i in range(1000):
        stratum = strata[draw(b"arrivals", str(i), 3)]
        arm = allocation_at(seed, ARMS, SIZES, stratum, len(per[stratum]))
        per[stratum].append(arm)
        overall.append(arm)
    for arms in per.values():
        assert max_imbalance(arms, ARMS) <= max(SIZES) / 2
    assert max_imbalance(overall, ARMS) <= len(strata) * max(SIZES) / 2
    assert abs(Counter(overall)["treatment"] - 500) <= len(strata) * max(SIZES) / 2
    assert len({len(a) for a in per.values()}) == 3


def test_a_thousand_unstratified_allocations_never_differ_by_more_than_the_largest_block():
    arms = sequence(b"site-secret", ARMS, SIZES, "all", 1000)
    counts: Counter[str] = Counter()
    for arm in arms:
        counts[arm] += 1
        assert abs(counts["treatment"] - counts["waiting_list"]) <= max(SIZES)
    assert len(set(arms[:6])) == 2 and max_imbalance(arms, ARMS) <= max(SIZES) / 2


def test_block_sizes_vary_and_the_ratio_holds_inside_each_block():
    seed = b"site-secret"
    weights = (ArmWeight("treatment", 2), ArmWeight("waiting_list", 1))
    arms = sequence(seed, weights, (3, 6), "all", 600)
    assert Counter(arms) == {"treatment": 400, "waiting_list": 200}  # 600 ends on a block edge for sizes 3 and 6
    assert max_imbalance(arms, weights) <= 6


def test_the_same_seed_reproduces_the_sequence_and_another_seed_does_not():
    first = sequence(b"seed-a", ARMS, SIZES, "sex=female", 200)
    assert sequence(b"seed-a", ARMS, SIZES, "sex=female", 200) == first
    assert [allocation_at(b"seed-a", ARMS, SIZES, "sex=female", i) for i in range(50)] == first[:50]
    assert sequence(b"seed-b", ARMS, SIZES, "sex=female", 200) != first
    assert sequence(b"seed-a", ARMS, SIZES, "sex=male", 200) != first


def test_draw_is_in_range_and_uniform_enough():
    counts = Counter(draw(b"k", str(i), 6) for i in range(6000))
    assert set(counts) == set(range(6))
    assert all(850 < c < 1150 for c in counts.values())


def test_stratum_comes_from_the_application(programme):
    assert stratum_of(programme.trial.strata, good_answers(sex="male")) == "sex=male"
    assert stratum_of((), good_answers()) == "all"
    assert stratum_of(("sex", "work"), good_answers()) == "sex=female|work=employed"


# -- arms ------------------------------------------------------------------------------------------------

ALLOCATED = date(2026, 1, 5)


def on(week: int, day: int = 0) -> date:
    return date.fromordinal(ALLOCATED.toordinal() + 7 * week + day)


def test_treatment_calendar_opens_one_module_a_week(programme):
    arm = programme.trial.arm("treatment")
    assert arm_day(programme, arm, ALLOCATED, on(0)).phase == "baseline"
    assert arm_day(programme, arm, ALLOCATED, on(0)).modules == ("baseline",)
    assert arm_day(programme, arm, ALLOCATED, on(1, 6)).modules == ("baseline",)
    week2 = arm_day(programme, arm, ALLOCATED, on(2))
    assert (week2.phase, week2.modules) == ("treatment", ("baseline", "week02"))
    assert arm_day(programme, arm, ALLOCATED, on(9)).modules[-1] == "week09"
    assert arm_day(programme, arm, ALLOCATED, on(10)).modules[-1] == "post"
    end = arm_day(programme, arm, ALLOCATED, on(12))
    assert (end.phase, end.finished, end.crossover_due) == (None, True, False)
    assert arm_day(programme, arm, ALLOCATED, on(-1)).modules == ()


def test_waiting_list_waits_with_check_ins_then_reaches_the_crossover_offer(programme):
    arm = programme.trial.arm("waiting_list")
    waiting = arm_day(programme, arm, ALLOCATED, on(5))
    assert (waiting.phase, waiting.modules) == ("waiting", ("baseline",))
    assert arm.check_in_days(ALLOCATED) == (on(2), on(4), on(6), on(8))
    assert next_check_in(arm, ALLOCATED, on(2, 1)) == on(4)
    assert next_check_in(arm, ALLOCATED, on(8, 1)) is None
    post = arm_day(programme, arm, ALLOCATED, on(10))
    assert (post.phase, post.modules, post.crossover_due) == ("post", ("baseline", "post"), False)
    assert not arm_day(programme, arm, ALLOCATED, on(11, 6)).crossover_due
    assert arm_day(programme, arm, ALLOCATED, on(12)).crossover_due
    assert arm.crossover_day(ALLOCATED) == on(12)
    assert programme.trial.arm("treatment").crossover_day(ALLOCATED) is None


def test_local_day_is_the_participants_date():
    late = datetime(2026, 1, 4, 23, 30, tzinfo=UTC)
    assert local_day(late, "Europe/Stockholm") == date(2026, 1, 5)
    assert local_day(late, "America/New_York") == date(2026, 1, 4)


def test_the_trials_decisions_import_no_storage_channel_or_scheduler():
    from tests.conftest import ROOT
    from tests.support.imports import imported_modules

    pure = ("eligibility", "allocation", "arms", "application", "stage", "commands")
    banned = ("sqlalchemy", "telegram", "apscheduler", "bot.storage", "bot.channels", "bot.engine", "scheduler",
              "bot.conversation.service", "bot.trial.service", "bot.trial.privacy", "bot.trial.report")  # fmt: skip
    problems = [
        f"bot/trial/{name}.py imports {module}"
        for name in pure
        for module in imported_modules(ROOT / "bot" / "trial" / f"{name}.py")
        if any(module == b or module.startswith(b + ".") for b in banned)
    ]
    assert problems == []
