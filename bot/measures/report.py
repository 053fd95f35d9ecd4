"""The trial report: one self-contained HTML file, plots embedded as PNG, a supplement to a paper.

Sections: methods written from the configuration, the CONSORT flow, Table II, Table III in the seed's
layout with effect sizes, the primary analysis (ITT mixed model) with its sensitivity analyses
(ANCOVA on completers; the seed's change-score F with LOCF and BOCF) and Holm-adjusted secondary p,
reliable change with a reliability sensitivity table, the seed's errata recomputed, drop-out, module
completion, therapist time, the pain diary, the simulator's power curve when given, and notes. It
reads in a browser and prints on A4 (print styles keep tables and figures whole).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from bot.content.schema import Instrument
from bot.content.trial_schema import TrialSpec
from bot.measures import analysis as an
from bot.measures import plots
from bot.measures import report_outcomes as ro
from bot.measures.analysis import SdSource
from bot.measures.dataset import TrialDataset
from bot.measures.outcomes import outcomes
from bot.measures.power import PowerPoint
from bot.measures.stats import two_by_two

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1180px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:0.6em 0 1.4em}th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}td.nw{white-space:nowrap}td.words{min-width:14em}h2{margin-top:1.8em;border-bottom:2px solid #ccd}
.note{background:#fff8e1;padding:0.6em 1em;border-left:4px solid #e0a800}img{max-width:100%}
caption{caption-side:top;text-align:left;font-weight:600;padding:0.3em 0}
@media print{body{max-width:none;margin:0;font-size:8pt}th,td{padding:2px 5px}h2{break-after:avoid}table,img,.consort{break-inside:avoid}tr{break-inside:avoid}
th{background:#eee!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{size:A4;margin:14mm}
"""


def p_text(p: float) -> str:
    """``p = 0.0043`` or ``p < 0.0001``."""
    return "p < 0.0001" if p < 0.0001 else f"p = {p:.4f}"


_img = ro.img


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    return ro.table(header, rows, numeric_from)


def build_report(
    dataset: TrialDataset,
    instruments: Mapping[str, Instrument],
    title: str = "Trial report",
    source_note: str = "",
    trial: TrialSpec | None = None,
    sd_source: SdSource = "sample",
    power: Sequence[PowerPoint] = (),
) -> str:
    """Render the whole report for ``dataset`` as one HTML document (a string), a supplement to a paper.

    ``trial`` (the trial.yaml in use) writes the methods paragraph and names the strata the ANCOVA
    adjusts for; ``sd_source`` picks reliable change's s₁; ``power`` adds the simulator's power curve."""
    found = an.measures(dataset, instruments)
    declared = trial.primary_outcome if trial is not None else None
    primary = an.primary_measure(found, (declared.instrument, declared.scale) if declared else None)
    strata = tuple(trial.strata) if trial is not None else ()
    rows = outcomes(dataset, found, primary, strata)
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{escape(title)}</title><style>{STYLE}{ro.CSS}</style></head><body>"
    ]
    parts.append(f"<h1>{escape(title)}</h1>")
    if source_note:
        parts.append(f'<p class="note">{escape(source_note)}</p>')
    parts += ro.methods(trial, primary, sd_source, strata)
    parts += _flow(dataset)
    parts += _baseline(dataset)
    parts += ro.table_iii(rows)
    if primary is not None:
        table = an.prepost_table(dataset, [primary])
        parts.append(_img(plots.prepost_plot(table, f"primary outcome: {primary.label}"), "primary outcome"))
    parts += ro.primary_analysis(rows)
    parts += ro.reliable(dataset, found, primary, sd_source)
    parts += ro.errata()
    parts += _adherence(dataset)
    if power:
        parts += _power(power)
    parts += _notes(primary, 13 if power else 12)
    parts.append("</body></html>")
    return "\n".join(parts)


def _flow(dataset: TrialDataset) -> list[str]:
    flow = an.enrolment_flow(dataset)
    rows = [[reason, str(n)] for reason, n in flow.excluded.items()]
    return [
        "<h2>2. Enrolment flow (CONSORT)</h2>",
        *ro.consort(flow),
        f"<p>{flow.applied} people applied; {sum(flow.excluded.values())} were not included; {flow.randomized} were randomized "
        f"({flow.allocated['treatment']} treatment, {flow.allocated['control']} control).</p>",
        _table(["reason not included", "n"], rows) if rows else "",
    ]


def _baseline(dataset: TrialDataset) -> list[str]:
    n = [len(dataset.randomized()), len(dataset.randomized("treatment")), len(dataset.randomized("control"))]
    rows = [list(r) for r in an.baseline_table(dataset)]
    return [
        "<h2>3. Participant characteristics (Table II)</h2>",
        _table(["", f"Total (n = {n[0]})", f"Treatment (n = {n[1]})", f"Control (n = {n[2]})"], rows),
    ]


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
        "<h2>8. Drop-out</h2>",
        _table(["Group", "allocated", "dropped out", "%"], drop_rows),
        "<h2>9. Module completion</h2>",
        f"<p>{all_done['treatment']} of {flow.allocated['treatment']} treated participants completed every module.</p>",
        _table(["Module", "opened", "completed", "% of treated"], comp_rows),
    ]
    if completion:
        out.append(_img(plots.completion_bars(completion), "module completion"))
    out += [
        "<h2>10. Therapist time</h2>",
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
        "<h2>11. Pain diary</h2>",
        _img(
            plots.trajectories(an.diary_trajectories(dataset), (dataset.pre_module, dataset.post_module)), "pain diary"
        ),
    ]
    return out


def _power(points: Sequence[PowerPoint]) -> list[str]:
    rows = [[str(p.participants), f"{p.significant}/{p.counted}", f"{p.power:.0%}", str(p.failed)] for p in points]
    return [
        "<h2>12. Power (simulated trials)</h2>",
        "<p>Share of simulated trials whose primary analysis (ITT mixed model) reached p &lt; 0.05, by number "
        "randomized. Failed runs are counted and shown, never dropped silently. Each simulated trial but "
        "the first (the one this report shows) stopped on the first simulated day on which nothing later "
        "could change its primary analysis: everyone drawn had the primary outcome's post score or had "
        "stopped answering for good.</p>",
        _img(plots.power_curve(points), "power against the number randomized"),
        _table(["randomized", "significant / counted", "power", "failed runs"], rows),
    ]


def _notes(primary: an.Measure | None, number: int) -> list[str]:
    seed = two_by_two(15, 26, 5, 28)
    return [
        f"<h2>{number}. Notes</h2><ul>",
        "<li>Tests: χ² on the 2 × 2 table of reliably improved vs not, by arm, reported without and with Yates' "
        "continuity correction, and Fisher's exact test (two-sided), all from scipy.stats. The interaction F comes from "
        "an OLS of change on arm (statsmodels anova_lm).</li>",
        f"<li>On the seed paper's counts (15 of 26 treated vs 5 of 28 controls reliably improved) these tests give "
        f"χ²(1) = {seed.chi2:.2f} uncorrected ({p_text(seed.p_chi2)}), χ²(1) = {seed.chi2_yates:.2f} with Yates' "
        f"correction ({p_text(seed.p_yates)}) and Fisher's exact {p_text(seed.fisher_p)}. The paper prints "
        "χ²(1) = 8.6, which matches neither χ²; this report always says which test it ran.</li>",
        "<li>Intention to treat: everyone randomized with a baseline score is analysed by the mixed model with all "
        "their observed scores; only the seed's replication carries a missing post score forward (LOCF, and again with "
        "baseline carried forward, as the seed did). Section 7 lists the seed's printed figures that do not "
        "recompute.</li>",
        f"<li>Primary outcome: {escape(primary.label) if primary else 'none found'}; lower is better for catastrophizing, "
        "higher for QOLI, life control, coping and support scales — each scale's direction is in its instrument file.</li>",
        "</ul>",
    ]
