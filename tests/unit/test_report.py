"""The trial report on the seeded synthetic trial, and the analysis behind it on hand-made data."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.content.programme import Programme
from bot.measures import analysis as an
from bot.measures.dataset import ParticipantRecord, ScoreRecord, TrialDataset
from bot.measures.reliable_change import for_scale
from bot.measures.report import build_report
from bot.measures.stats import interaction
from bot.measures.synthetic import synthetic_trial

T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def trial(programme: Programme) -> TrialDataset:
    return synthetic_trial(programme.instruments, seed=1)


@pytest.fixture(scope="module")
def html(trial: TrialDataset, programme: Programme) -> str:
    return build_report(trial, programme.instruments, "Synthetic trial", "synthetic data", trial=programme.trial)


def test_the_synthetic_trial_is_seeded_and_shaped_like_the_seed(trial: TrialDataset, programme: Programme):
    assert synthetic_trial(programme.instruments, seed=1) == trial
    assert synthetic_trial(programme.instruments, seed=2) != trial
    assert (len(trial.randomized("treatment")), len(trial.randomized("control"))) == (26, 28)
    dropped = [p.arm for p in trial.participants if p.status == "dropped_out"]
    assert sorted(dropped) == ["control", "treatment", "treatment", "treatment"]
    flow = an.enrolment_flow(trial)
    assert (flow.applied, flow.randomized, flow.with_post) == (92, 54, {"treatment": 23, "control": 27})


def test_the_report_is_one_self_contained_html_file_with_png_plots(html: str):
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r'(src|href)="(http|//|/)', html)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) >= 4  # primary outcome, reliable change, module completion, diary
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_has_every_section_in_the_seeds_layout(html: str):
    headings = re.findall(r"<h2>(\d+)\. ([^<]+)</h2>", html)
    assert [int(n) for n, _ in headings] == list(range(1, len(headings) + 1))  # numbered in order
    for heading in (
        "1. Methods", "2. Enrolment flow (CONSORT)", "Participant characteristics (Table II)",
        "before and after treatment (Table III)", "Primary analysis and sensitivity analyses", "Reliable change",
        "errata", "Drop-out", "Module completion", "Therapist time", "Pain diary", "Notes",
    ):  # fmt: skip
        assert heading in html, heading
    assert "Treatment (n = 26)" in html and "Control (n = 28)" in html
    assert "CSQ: Catastrophizing" in html and "QOLI" in html and "HADS: Anxiety" in html
    assert "F, BOCF" in html and "LOCF" in html


def test_the_notes_give_the_three_tests_on_the_seeds_counts_and_flag_the_papers_8_6(html: str):
    assert "χ²(1) = 9.17 uncorrected" in html
    assert "χ²(1) = 7.55 with Yates" in html
    assert "Fisher&#x27;s exact p = 0.0043" in html or "Fisher's exact p = 0.0043" in html
    assert "prints χ²(1) = 8.6, which matches neither" in html


def test_the_reports_interaction_and_reliable_counts_are_the_analysis_values(trial: TrialDataset, programme, html: str):
    primary = an.primary_measure(an.measures(trial, programme.instruments))
    assert primary is not None and primary.key == ("csq", "catastrophizing")
    result = an.interaction_for(trial, primary, "locf")
    assert result is not None
    assert f"F(1,{result.df_error}) = {result.f:.2f}" in html
    pre = trial.value_at("csq", "catastrophizing", "baseline")
    post = trial.value_at("csq", "catastrophizing", "post")
    improved = sum(
        1
        for p in trial.randomized("treatment")
        if p.code in post and for_scale(primary.scale, pre[p.code], post[p.code]).improved
    )
    assert f"{improved}/26 (" in html


def _score(code: str, module: str, value: float | None, day: int) -> ScoreRecord:
    return ScoreRecord(code, "phq9", module, "phq9", "total", value, None, 0, False, T0 + timedelta(days=day))


def _person(code: str, arm: str, status: str = "completed") -> ParticipantRecord:
    return ParticipantRecord(code=code, arm=arm, status=status, applied_on=date(2026, 1, 1))  # type: ignore[arg-type]


def test_drop_outs_are_carried_forward_from_the_last_observation_or_from_baseline(programme: Programme):
    dataset = TrialDataset(
        participants=(_person("A", "treatment", "dropped_out"), _person("B", "treatment"), _person("C", "control"), _person("D", "control")),
        scores=(
            _score("A", "baseline", 20, 0), _score("A", "week04", 15, 30),  # dropped out after week 4
            _score("B", "baseline", 10, 0), _score("B", "week04", 8, 30), _score("B", "post", 4, 70),
            _score("C", "baseline", 12, 0), _score("C", "post", 12, 70),
            _score("D", "baseline", 9, 0), _score("D", "post", 10, 70),
        ),
    )  # fmt: skip
    measure = an.Measure(programme.instruments["phq9"], programme.instruments["phq9"].scales[0])
    assert an.imputed_pairs(dataset, measure, "locf")["treatment"] == ([20, 10], [15, 4])
    assert an.imputed_pairs(dataset, measure, "bocf")["treatment"] == ([20, 10], [20, 4])
    assert an.imputed_pairs(dataset, measure, "bocf")["control"] == ([12, 9], [12, 10])
    locf = an.interaction_for(dataset, measure, "locf")
    assert locf == interaction([20, 10], [15, 4], [12, 9], [12, 10])


def test_table_ii_gives_means_and_percentages_by_arm():
    people = (
        ParticipantRecord("A", "treatment", "completed", date(2026, 1, 1), characteristics={"age": 40.0, "gender": "woman", "history": ("chiropractor", "psychologist")}),
        ParticipantRecord("B", "treatment", "completed", date(2026, 1, 1), characteristics={"age": 50.0, "gender": "man", "history": ("chiropractor",)}),
        ParticipantRecord("C", "control", "completed", date(2026, 1, 1), characteristics={"age": 30.0, "gender": "woman", "history": ("none",)}),
        ParticipantRecord("D", None, "excluded", date(2026, 1, 1), characteristics={"age": 99.0}),
    )  # fmt: skip
    rows = an.baseline_table(TrialDataset(participants=people))
    assert rows[0] == ("age, mean (SD)", "40.0 (10.0)", "45.0 (7.1)", "–")  # one control: no SD
    assert ("  woman", "66.7 (2)", "50.0 (1)", "100.0 (1)") in rows
    assert ("  chiropractor", "66.7 (2)", "100.0 (2)", "0.0 (0)") in rows  # several answers per person


def test_a_report_on_a_trial_with_nobody_yet_still_renders(programme: Programme):
    html = build_report(TrialDataset(participants=()), programme.instruments)
    assert "0 people applied" in html and "12. Notes" in html
