"""The trial report: one self-contained HTML file, plots embedded as PNG, laid out like the seed.

Sections follow the seed's Results: enrolment flow (CONSORT style), baseline characteristics by arm
(Table II), pre/post mean (SD) per measure and arm (Table III), the group × time interaction with
last observation and with baseline carried forward, reliable improvement by arm with χ² (with and
without Yates' correction) and Fisher's exact test, drop-out, module completion, therapist time,
pain-diary trajectories, and notes saying exactly which test gave which number.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from html import escape

from bot.content.schema import Instrument
from bot.measures import analysis as an
from bot.measures import plots
from bot.measures.dataset import TrialDataset
from bot.measures.stats import Interaction, TwoByTwo, two_by_two

STYLE = """
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:0.6em 0 1.4em}th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}h2{margin-top:1.8em;border-bottom:2px solid #ccd}
.note{background:#fff8e1;padding:0.6em 1em;border-left:4px solid #e0a800}img{max-width:100%}
"""


def p_text(p: float) -> str:
    """``p = 0.0043`` or ``p < 0.0001``."""
    return "p < 0.0001" if p < 0.0001 else f"p = {p:.4f}"


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i >= numeric_from else ''}>{escape(c)}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _ms(value: tuple[float, float] | None) -> str:
    return "–" if value is None else f"{value[0]:.1f} ({value[1]:.1f})"


def _f(result: Interaction | None) -> str:
    return "–" if result is None else f"F({result.df_effect},{result.df_error}) = {result.f:.2f}, {p_text(result.p)}"


def _tests(test: TwoByTwo | None) -> list[str]:
    if test is None:
        return ["–", "–", "–"]
    if math.isnan(test.chi2):
        return [
            "undefined (no one improved in either arm)" if test.table[0][0] == 0 else "undefined",
            "undefined",
            p_text(test.fisher_p),
        ]
    return [
        f"χ²(1) = {test.chi2:.2f}, {p_text(test.p_chi2)}",
        f"χ²(1) = {test.chi2_yates:.2f}, {p_text(test.p_yates)}",
        p_text(test.fisher_p),
    ]


def build_report(
    dataset: TrialDataset, instruments: Mapping[str, Instrument], title: str = "Trial report", source_note: str = ""
) -> str:
    """Render the whole report for ``dataset`` as one HTML document (a string)."""
    found = an.measures(dataset, instruments)
    primary = an.primary_measure(found)
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title><style>{STYLE}</style></head><body>"
    ]
    parts.append(f"<h1>{escape(title)}</h1>")
    if source_note:
        parts.append(f'<p class="note">{escape(source_note)}</p>')
    parts += _flow(dataset)
    parts += _baseline(dataset)
    parts += _table_iii(dataset, found, primary)
    parts += _interactions(dataset, found)
    parts += _reliable(dataset, found, primary)
    parts += _adherence(dataset)
    parts += _notes(primary)
    parts.append("</body></html>")
    return "\n".join(parts)


def _flow(dataset: TrialDataset) -> list[str]:
    flow = an.enrolment_flow(dataset)
    rows = [[reason, str(n)] for reason, n in flow.excluded.items()]
    return [
        "<h2>1. Enrolment flow</h2>",
        _img(plots.flow_diagram(flow), "enrolment flow"),
        f"<p>{flow.applied} people applied; {sum(flow.excluded.values())} were not included; {flow.randomized} were randomized "
        f"({flow.allocated['treatment']} treatment, {flow.allocated['control']} control).</p>",
        _table(["reason not included", "n"], rows) if rows else "",
    ]


def _baseline(dataset: TrialDataset) -> list[str]:
    n = [len(dataset.randomized()), len(dataset.randomized("treatment")), len(dataset.randomized("control"))]
    rows = [list(r) for r in an.baseline_table(dataset)]
    return [
        "<h2>2. Participant characteristics (Table II)</h2>",
        _table(["", f"Total (n = {n[0]})", f"Treatment (n = {n[1]})", f"Control (n = {n[2]})"], rows),
    ]


def _table_iii(dataset: TrialDataset, found: list[an.Measure], primary: an.Measure | None) -> list[str]:
    table = an.prepost_table(dataset, found)
    rows = [
        [r.measure.label if r.arm == "treatment" else "", r.arm, _ms(r.pre), _ms(r.post), f"{r.n_pre}/{r.n_post}"]
        for r in table
    ]
    out = [
        "<h2>3. Means (SD) before and after treatment (Table III)</h2>",
        "<p>Observed values; n = people with a score before / after.</p>",
        _table(["Measure", "Group", "Pre-treatment mean (SD)", "Post-treatment mean (SD)", "n"], rows, numeric_from=2),
    ]
    if primary is not None:
        out.append(
            _img(
                plots.prepost_plot([r for r in table if r.measure == primary], f"primary outcome: {primary.label}"),
                "primary outcome",
            )
        )
    return out


def _interactions(dataset: TrialDataset, found: list[an.Measure]) -> list[str]:
    rows = [
        [m.label, _f(an.interaction_for(dataset, m, "locf")), _f(an.interaction_for(dataset, m, "bocf"))] for m in found
    ]
    return [
        "<h2>4. Group × time interaction</h2>",
        "<p>2 (arm) × 2 (pre, post) ANOVA interaction, computed as the one-way ANOVA of change scores (identical with two "
        "time points), everyone randomized with a baseline score; a missing post score carried forward from the last "
        "observation (LOCF, symptom checks during treatment count) or from baseline (BOCF).</p>",
        _table(["Measure", "LOCF", "Baseline carried forward"], rows),
    ]


def _reliable(dataset: TrialDataset, found: list[an.Measure], primary: an.Measure | None) -> list[str]:
    out = ["<h2>5. Reliable change (Jacobson–Truax)</h2>"]
    if primary is not None:
        counts = an.reliable_counts(dataset, primary)
        out.append(
            _img(plots.reliable_bars(counts.counts, counts.n, f"reliable change: {primary.label}"), "reliable change")
        )
    ordered = ([primary] if primary else []) + [m for m in found if m != primary]
    rows = []
    for measure in ordered:
        counts = an.reliable_counts(dataset, measure)
        cells = [
            f"{counts.counts[arm]['improved']}/{counts.n[arm]} ({100 * counts.counts[arm]['improved'] / counts.n[arm]:.0f}%)"
            if counts.n[arm] else "–"
            for arm in an.ARMS
        ]  # fmt: skip
        deteriorated = "/".join(str(counts.counts[arm]["deteriorated"]) for arm in an.ARMS)
        scale = measure.scale
        rows.append([measure.label + (" (primary)" if measure == primary else ""), *cells, deteriorated,
                     f"{scale.sd:g} / {scale.reliability:g} / {scale.better}", *_tests(counts.test)])  # fmt: skip
    out.append(
        "<p>RC = (post − pre) / S<sub>diff</sub>, S<sub>diff</sub> = √2 · s₁ · √(1 − r); |RC| &gt; 1.96 is reliable, "
        "counted as improvement in the scale's better direction. Drop-outs count with their last observation "
        "(no reliable change). s₁ and r come from the instrument files.</p>"
    )
    out.append(_table(["Measure", "Improved: treatment", "Improved: control", "Deteriorated T/C", "s₁ / r / better",
                       "χ² uncorrected", "χ² with Yates", "Fisher's exact"], rows))  # fmt: skip
    return out


def _adherence(dataset: TrialDataset) -> list[str]:
    flow = an.enrolment_flow(dataset)
    drop_rows = [
        [arm, str(flow.allocated[arm]), str(flow.dropped_out[arm]),
         f"{100 * flow.dropped_out[arm] / flow.allocated[arm]:.1f}%" if flow.allocated[arm] else "–"]
        for arm in an.ARMS
    ]  # fmt: skip
    completion = an.module_completion(dataset)
    all_done = an.all_modules_completed(dataset)
    comp_rows = [
        [m, str(opened), str(done), f"{100 * done / treated:.0f}%" if treated else "–"]
        for m, treated, opened, done in completion
    ]
    per_week = an.minutes_per_week(dataset)
    time_rows = [
        [arm, *an.therapist_time(dataset)[arm][:2], f"{per_week[arm][0]} (n={per_week[arm][1]})",
         f"{an.therapist_time(dataset)[arm][2]:.0f}"]
        for arm in an.ARMS
    ]  # fmt: skip
    out = [
        "<h2>6. Drop-out</h2>",
        _table(["Group", "allocated", "dropped out", "%"], drop_rows),
        "<h2>7. Module completion</h2>",
        f"<p>{all_done['treatment']} of {flow.allocated['treatment']} treated participants completed every module.</p>",
        _table(["Module", "opened", "completed", "% of treated"], comp_rows),
    ]
    if completion:
        out.append(_img(plots.completion_bars(completion), "module completion"))
    out += [
        "<h2>8. Therapist time</h2>",
        _table(
            [
                "Group",
                "minutes per participant, mean (SD)",
                "contacts per participant, mean (SD)",
                "minutes per participant and week, mean (SD) (seed: 10–15)",
                "total minutes",
            ],
            time_rows,
        ),
        "<h2>9. Pain diary</h2>",
        _img(
            plots.trajectories(an.diary_trajectories(dataset), (dataset.pre_module, dataset.post_module)), "pain diary"
        ),
    ]
    return out


def _notes(primary: an.Measure | None) -> list[str]:
    seed = two_by_two(15, 26, 5, 28)
    return [
        "<h2>10. Notes</h2><ul>",
        "<li>Tests: χ² on the 2 × 2 table of reliably improved vs not, by arm, reported without and with Yates' "
        "continuity correction, and Fisher's exact test (two-sided), all from scipy.stats. The interaction F comes from "
        "an OLS of change on arm (statsmodels anova_lm).</li>",
        f"<li>On the seed paper's counts (15 of 26 treated vs 5 of 28 controls reliably improved) these tests give "
        f"χ²(1) = {seed.chi2:.2f} uncorrected ({p_text(seed.p_chi2)}), χ²(1) = {seed.chi2_yates:.2f} with Yates' "
        f"correction ({p_text(seed.p_yates)}) and Fisher's exact {p_text(seed.fisher_p)}. The paper prints "
        "χ²(1) = 8.6, which matches neither χ²; this report always says which test it ran.</li>",
        "<li>Intention to treat: everyone randomized with a baseline score is analysed; missing post scores are carried "
        "forward (LOCF, and again with baseline carried forward, as the seed did).</li>",
        f"<li>Primary outcome: {escape(primary.label) if primary else 'none found'}; lower is better for catastrophizing, "
        "higher for QOLI, life control, coping and support scales — each scale's direction is in its instrument file.</li>",
        "</ul>",
    ]
