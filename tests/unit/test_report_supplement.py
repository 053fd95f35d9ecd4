"""The report as a supplement: methods from the configuration, CONSORT, effect sizes, the primary
analysis with Holm-adjusted secondary outcomes, reliable change's sensitivity, the seed's errata."""

from __future__ import annotations

import re
from html import unescape

import pytest
from scipy import stats as sps

from bot.content.programme import Programme
from bot.measures import analysis as an
from bot.measures.analysis_effects import between_d, holm
from bot.measures.analysis_models import mixed_model
from bot.measures.dataset import TrialDataset
from bot.measures.outcomes import outcomes
from bot.measures.power import PowerPoint
from bot.measures.report import build_report
from bot.measures.synthetic import synthetic_trial


@pytest.fixture(scope="module")
def trial(programme: Programme) -> TrialDataset:
    return synthetic_trial(programme.instruments, seed=1)


@pytest.fixture(scope="module")
def html(trial: TrialDataset, programme: Programme) -> str:
    return unescape(build_report(trial, programme.instruments, "Synthetic", trial=programme.trial))


def test_the_methods_paragraph_is_written_from_the_trial_configuration(html: str, programme: Programme) -> None:
    assert programme.trial is not None
    assert programme.trial.max_imbalance == 3
    assert "the big stick design (a fair coin unless the arms were 3 apart, then the arm behind)" in html
    assert "stratified by sex" in html
    assert "Programme now (weight 1) and Waiting list (weight 1)" in html
    assert "Primary outcome.</b> CSQ: Catastrophizing" in html
    assert "ANCOVA of post on baseline and arm and the randomisation strata (sex)" in html
    assert "pooled SD of the sample's own baseline scores" in html


def test_the_consort_boxes_carry_the_flows_counts(html: str, trial: TrialDataset) -> None:
    flow = an.enrolment_flow(trial)
    consort = html[html.index('<div class="consort"') : html.index("</div>\n<p>")]
    assert f"Assessed for eligibility (n = {flow.applied})" in consort
    assert f"Excluded (n = {sum(flow.excluded.values())})" in consort
    assert f"Randomized (n = {flow.randomized})" in consort
    for arm in an.ARMS:
        assert f"Allocated to {arm} (n = {flow.allocated[arm]})" in consort
        assert f"Lost to follow-up (n = {flow.dropped_out[arm]})<br>Post data (n = {flow.with_post[arm]})" in consort


def test_table_iii_and_the_primary_analysis_print_the_models_values(
    html: str, trial: TrialDataset, programme: Programme
) -> None:
    primary = an.primary_measure(an.measures(trial, programme.instruments))
    assert primary is not None
    mixed = mixed_model(trial, primary.key)
    assert mixed is not None and mixed.difference < 0  # the treated arm's catastrophizing fell more
    assert f"{mixed.difference:.2f} [{mixed.low:.2f}, {mixed.high:.2f}]" in html
    post = trial.value_at(*primary.key, "post")
    arm = trial.arm_of()
    found = between_d(
        [v for c, v in post.items() if arm[c] == "treatment"], [v for c, v in post.items() if arm[c] == "control"]
    )
    assert found is not None and found.d.text() in html and found.g.text() in html
    assert "Within-group d [95 % CI]" in html and "Hedges' g at post [95 % CI]" in html


def test_secondary_outcomes_are_holm_adjusted_and_marked(trial: TrialDataset, programme: Programme, html: str) -> None:
    found = an.measures(trial, programme.instruments)
    rows = outcomes(trial, found, an.primary_measure(found))
    assert rows[0].primary and rows[0].holm_p is None
    raw = [r.mixed.p for r in rows[1:] if r.mixed is not None]
    adjusted = [r.holm_p for r in rows[1:] if r.mixed is not None]
    assert adjusted == pytest.approx(holm(raw))
    assert all(a >= p for a, p in zip(adjusted, raw, strict=True))  # type: ignore[operator]
    assert "Holm-adjusted p (secondary)" in html and "primary: not adjusted" in html


def test_reliable_change_uses_the_samples_baseline_sd_and_shows_the_reliability_sensitivity(
    trial: TrialDataset, programme: Programme, html: str
) -> None:
    primary = an.primary_measure(an.measures(trial, programme.instruments))
    assert primary is not None
    sample = an.reliable_counts(trial, primary)
    assert sample.sd == pytest.approx(an.mean_sd(list(trial.value_at(*primary.key, "baseline").values()))[1])  # type: ignore[index]
    assert f"{sample.sd:.2f} / 0.8" in html and "Jensen & Linton 1993" in html
    table = an.reliability_sensitivity(trial, primary)
    assert [c.reliability for c in table] == [0.7, 0.8, 0.9]
    improved = [c.counts["treatment"]["improved"] for c in table]
    assert improved == sorted(improved)  # a higher r makes a smaller change reliable
    assert "for r = 0.7, 0.8, 0.9" in html
    seed_sd = an.reliable_counts(trial, primary, "instrument")
    assert seed_sd.sd == 7.3 and seed_sd.sd_source == "instrument"
    as_file = unescape(build_report(trial, programme.instruments, trial=programme.trial, sd_source="instrument"))
    assert "7.30 / 0.8" in as_file and "the instrument file's s₁" in as_file


def test_the_seeds_errata_are_recomputed(html: str) -> None:
    section = html[html.index("errata, recomputed") :]
    assert "χ²(1) = 8.6, p = 0.003" in section and "χ²(1) = 9.17" in section and "7.55" in section
    assert "8.6 matches neither χ²" in section
    catastrophizing = f"p = {sps.f.sf(11.9, 1, 48):.4f}"
    qoli = f"p = {sps.f.sf(10.8, 1, 48):.4f}"
    assert (catastrophizing, qoli) == ("p = 0.0012", "p = 0.0019")
    for printed, recomputed in (("F(1,48) = 11.9, p = 0.0001", catastrophizing), ("F(1,48) = 10.8, p = 0.0002", qoli)):
        row = re.search(re.escape(printed) + r"</td><td class=[^>]+>(.*?)</td><td class=[^>]+>(.*?)</td>", section)
        assert row is not None and row.group(1) == recomputed and row.group(2).startswith("erratum")
    assert re.search(r"F\(1,48\) = 3.9, p = 0.05</td><td class=[^>]+>p = 0.05\d+</td><td class=[^>]+>agrees", section)


def test_a_power_curve_counts_failed_runs(trial: TrialDataset, programme: Programme) -> None:
    points = [PowerPoint(30, 9, 19, 1), PowerPoint(54, 16, 20, 0)]
    assert points[0].power == 9 / 19 and points[0].interval[0] < 9 / 19 < points[0].interval[1]
    html = unescape(build_report(trial, programme.instruments, power=points))
    section = html[html.index("12. Power") : html.index("13. Notes")]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", section)
    assert cells[:4] == ["30", "9/19", "47%", "1"] and 'class="num nw">47%' in section
    assert 'alt="power against the number randomized"' in section


def test_a_printed_table_reads_words_as_text_and_keeps_each_row_on_one_page() -> None:
    from bot.measures.report import STYLE
    from bot.measures.report_outcomes import table

    html = table(["Measure", "s₁ / r", "source of r", "χ² with Yates"],
                 [["CSQ", "7.10 / 0.8", "working value within the seed's range", "χ²(1) = 4.07, p 0.0437"]])  # fmt: skip
    cells = re.findall(r"<td( class=[^>]*)?>", html)
    assert cells == ["", ' class="num nw"', " class=words", ' class="num nw"']
    assert "td.words{min-width:14em}" in STYLE
    assert "tr{break-inside:avoid}" in STYLE.split("@media print", 1)[1]
