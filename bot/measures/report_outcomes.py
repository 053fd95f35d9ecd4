"""The report's supplement sections: methods, CONSORT, Table III with effect sizes, the primary
analysis with its sensitivity analyses, reliable change with its sensitivity table, the seed's errata.

HTML fragments only; the numbers come from ``outcomes``, ``analysis`` and ``seed_paper``. The CONSORT
diagram is HTML boxes (text that wraps and prints) rather than a picture, so no box meets an arrow.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Sequence
from html import escape

from scipy import stats as sps

from bot.content.trial_schema import TrialSpec
from bot.measures import analysis as an
from bot.measures import plots, seed_paper
from bot.measures.analysis_effects import Interval
from bot.measures.outcomes import Outcome
from bot.measures.stats import Interaction, two_by_two

SHORT = 26  # a number cell up to this long stays on one line
CSS = """
.consort{display:grid;grid-template-columns:1fr 1fr;gap:0 2em;max-width:760px;margin:1em 0}
.consort .box{border:1px solid #556;border-radius:6px;background:#f4f6f8;padding:0.5em 0.8em;font-size:0.92em}
.consort .wide{grid-column:1/3;display:flex;gap:2em;align-items:center}.consort .wide .box{flex:1}
.consort .down{text-align:center;color:#556;font-size:1.2em;line-height:1.6em}
.consort .wide .down{flex:0 0 2em}
"""


def img(data: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def p_text(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "–"
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


def _interval(value: Interval | None) -> str:
    return "–" if value is None else value.text()


def _f(result: Interaction | None) -> str:
    return "–" if result is None else f"F({result.df_effect},{result.df_error}) = {result.f:.2f}, p {p_text(result.p)}"


def _ms(value: tuple[float, float] | None) -> str:
    return "–" if value is None else f"{value[0]:.1f} ({value[1]:.1f})"


WORDS = re.compile(r"[^\W\d_]{4,}")  # a word of four letters or more: "working", "undefined", "recorded"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1, caption: str = "") -> str:
    """An HTML table; number cells right-aligned, and kept on one line when short (an interval never
    breaks). A cell of words in a number column (a source, "undefined (no one improved …)") reads as
    text: left-aligned, in a column wide enough for a line of it."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)

    def cell(i: int, c: str) -> str:
        if i < numeric_from:
            return f"<td>{escape(c)}</td>"
        if WORDS.search(c):
            return f"<td class=words>{escape(c)}</td>"
        return f"<td class=num>{escape(c)}</td>" if len(c) > SHORT else f'<td class="num nw">{escape(c)}</td>'

    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- methods --------------------------------------------------------------------------------------
def methods(
    trial: TrialSpec | None, primary: an.Measure | None, sd_source: an.SdSource, strata: Sequence[str]
) -> list[str]:
    """The methods paragraph, written from the configuration this report was made with."""
    if trial is not None:
        arms = " and ".join(f"{escape(str(a.title))} (weight {a.weight})" for a in trial.arms)
        blocks = ", ".join(str(b) for b in trial.block_sizes)
        scheme = (
            f"the big stick design (a fair coin unless the arms were {trial.max_imbalance} apart, then the arm behind)"
            if trial.max_imbalance is not None
            else f"permuted blocks of {blocks} (sizes drawn at random)"
        )
        allocation = (
            f"Participants were allocated to {arms} by a concealed, seeded sequence using {scheme}, "
            f"stratified by {', '.join(trial.strata) or 'nothing'}; the draw was made in "
            "the chat after consent and the baseline measurements, and every allocation was recorded with its stratum and sequence index for audit."
        )
    else:
        allocation = "The allocation scheme is not part of this dataset's configuration."
    outcome = escape(primary.label) if primary else "not found in the data"
    adjusted = f" and the randomisation strata ({', '.join(strata)})" if strata else ""
    sd_words = ("the pooled SD of the sample's own baseline scores" if sd_source == "sample"
                else "the s₁ given in the instrument file (the seed's Table III)")  # fmt: skip
    return [
        "<h2>1. Methods (generated from the configuration)</h2>",
        f"<p><b>Allocation.</b> {allocation}</p>",
        f"<p><b>Primary outcome.</b> {outcome}. <b>Primary analysis</b> (intention to treat): a linear mixed model of "
        "every available score (baseline, the symptom checks both arms share, post) on time, arm and their "
        "interaction with a random intercept per participant (statsmodels MixedLM, REML), including everyone "
        "randomized with a baseline score; the treatment effect is the arm difference in change from baseline to "
        f"post with its 95 % CI. <b>Sensitivity:</b> ANCOVA of post on baseline and arm{adjusted} for completers "
        "(post observed). <b>Replication of the seed:</b> the group × time F of the 2 × 2 ANOVA (the one-way ANOVA "
        "of change scores) with last observation and with baseline carried forward.</p>",
        "<p><b>Effect sizes.</b> Between groups at post: Cohen's d (pooled SD) and Hedges' g, 95 % CI by inverting "
        "the noncentral t. Within groups: mean change / baseline SD with Becker's 95 % CI and a paired t-test. "
        "<b>Multiplicity.</b> The primary outcome is tested once at 5 %; the mixed-model p of every secondary "
        "outcome is Holm-adjusted across the secondary outcomes (marked as such).</p>",
        f"<p><b>Missing data.</b> The mixed model uses all observed scores and assumes data missing at random; no "
        f"value is imputed. Only the seed's replication carries values forward. <b>Reliable change</b> "
        f"(Jacobson–Truax) uses {sd_words} as s₁ and each scale's reliability with its source; a sensitivity "
        "table repeats it for r = 0.7, 0.8 and 0.9.</p>",
    ]


# -- CONSORT --------------------------------------------------------------------------------------
def consort(flow: an.Flow) -> list[str]:
    """The flow as boxes and arrows in HTML: the numbers reconcile with ``icbt trial status``."""
    excluded = sum(flow.excluded.values())
    reasons = "".join(f"<br>{escape(reason)}: {n}" for reason, n in flow.excluded.items())

    def column(arm: str) -> str:
        return (f'<div><div class="box">Allocated to {arm} (n = {flow.allocated[arm]})</div><div class="down">↓</div>'
                f'<div class="box">Lost to follow-up (n = {flow.dropped_out[arm]})<br>Post data (n = {flow.with_post[arm]})</div>'
                f'<div class="down">↓</div><div class="box">Analysed, intention to treat (n = {flow.analysed[arm]})</div></div>')  # fmt: skip

    return [
        '<div class="consort" role="figure" aria-label="enrolment flow">',
        f'<div class="wide"><div class="box">Assessed for eligibility (n = {flow.applied})</div><div class="down">→</div>'
        f'<div class="box">Excluded (n = {excluded}){reasons}</div></div>',
        f'<div class="wide"><div class="down">↓</div></div><div class="wide"><div class="box">Randomized (n = {flow.randomized})</div></div>',
        '<div class="down">↙</div><div class="down">↘</div>',
        column("treatment"), column("control"),
        "</div>",
    ]  # fmt: skip


# -- Table III and the primary analysis -----------------------------------------------------------
def table_iii(rows: Sequence[Outcome]) -> list[str]:
    body = []
    for row in rows:
        for arm in an.ARMS:
            pp = row.prepost[arm]
            first = arm == "treatment"
            body.append([
                (row.measure.label + (" (primary)" if row.primary else "")) if first else "", arm,
                _ms(pp.pre), _ms(pp.post), f"{pp.n_pre}/{pp.n_post}",
                _interval(row.within[arm].d) if row.within[arm] else "–",
                _interval(row.between.d if row.between else None) if first else "",
                _interval(row.between.g if row.between else None) if first else "",
            ])  # fmt: skip
    return [
        "<h2>4. Means (SD) before and after treatment (Table III)</h2>",
        "<p>The seed's layout (observed values; n = people with a score before / after), with three new columns: the "
        "within-group standardised change (completers) and, on each measure's first line, the between-group Cohen's d "
        "and Hedges' g at post (treatment − control), all with 95 % CI. A negative d favours treatment where lower is "
        "better.</p>",
        table(["Measure", "Group", "Pre-treatment mean (SD)", "Post-treatment mean (SD)", "n",
               "Within-group d [95 % CI]", "Cohen's d at post [95 % CI]", "Hedges' g at post [95 % CI]"], body,
              numeric_from=2, caption="Table III. Means (SD) and effect sizes per measure and arm"),
    ]  # fmt: skip


def primary_analysis(rows: Sequence[Outcome]) -> list[str]:
    body = []
    for row in rows:
        mixed, comp = row.mixed, row.completers
        body.append([
            row.measure.label + (" (primary)" if row.primary else ""),
            mixed.text() if mixed else "–", p_text(mixed.p) if mixed else "–",
            "primary: not adjusted" if row.primary else p_text(row.holm_p),
            comp.text() if comp else "–", p_text(comp.p) if comp else "–",
            _f(row.locf), _f(row.bocf),
        ])  # fmt: skip
    return [
        "<h2>5. Primary analysis and sensitivity analyses</h2>",
        "<p>Treatment − control difference at post in the scale's units, 95 % CI. <b>ITT mixed model</b>: everyone "
        "randomized with a baseline, all available time points (the primary analysis). <b>Holm p</b>: the mixed-model p "
        "adjusted across the secondary outcomes. <b>ANCOVA, completers</b>: post on baseline, arm and strata, people "
        "with a post score. <b>Seed replication</b>: group × time F (change scores) with LOCF and BOCF.</p>",
        table(["Measure", "ITT mixed model: difference [95 % CI]", "p", "Holm-adjusted p (secondary)",
               "ANCOVA completers: difference [95 % CI]", "p", "Seed replication: F, LOCF", "F, BOCF"], body,
              caption="Primary analysis (ITT mixed model) with its sensitivity analyses"),
    ]  # fmt: skip


# -- reliable change ------------------------------------------------------------------------------
def _counts_cells(counts: an.ReliableCounts) -> list[str]:
    cells = [
        f"{counts.counts[arm]['improved']}/{counts.n[arm]} ({100 * counts.counts[arm]['improved'] / counts.n[arm]:.0f}%)"
        if counts.n[arm] else "–"
        for arm in an.ARMS
    ]  # fmt: skip
    test = counts.test
    return [*cells, p_text(test.fisher_p) if test else "–"]


def reliable(dataset: an.TrialDataset, found: Sequence[an.Measure], primary: an.Measure | None,
             sd_source: an.SdSource) -> list[str]:  # fmt: skip
    ordered = ([primary] if primary else []) + [m for m in found if m != primary]
    rows = []
    for measure in ordered:
        counts = an.reliable_counts(dataset, measure, sd_source)
        detail = "/".join(str(counts.counts[arm]["deteriorated"]) for arm in an.ARMS)
        sd = "–" if counts.sd is None else f"{counts.sd:.2f}"
        rows.append([measure.label + (" (primary)" if measure == primary else ""), *_counts_cells(counts)[:2], detail,
                     f"{sd} / {counts.reliability:g}", measure.scale.reliability_source or "–",
                     *_two_by_two(counts)])  # fmt: skip
    source = "the sample's pooled baseline SD" if sd_source == "sample" else "the instrument file's s₁"
    out = [
        "<h2>6. Reliable change (Jacobson–Truax)</h2>",
        f"<p>RC = (post − pre) / S<sub>diff</sub>, S<sub>diff</sub> = √2 · s₁ · √(1 − r); |RC| &gt; 1.96 is reliable, "
        f"counted as improvement in the scale's better direction. s₁ is {source}; r and its source come from the "
        "instrument file. Drop-outs count with their last observation.</p>",
        table(["Measure", "Improved: treatment", "Improved: control", "Deteriorated T/C", "s₁ / r", "source of r",
               "χ² uncorrected", "χ² with Yates", "Fisher's exact p"], rows,
              caption="Reliable improvement by arm"),
    ]  # fmt: skip
    if primary is not None:
        counts = an.reliable_counts(dataset, primary, sd_source)
        out.insert(
            1, img(plots.reliable_bars(counts.counts, counts.n, f"reliable change: {primary.label}"), "reliable change")
        )
        sens = [
            [f"{c.reliability:g}", *_counts_cells(c)] for c in an.reliability_sensitivity(dataset, primary, sd_source)
        ]
        out += [
            f"<p>Sensitivity of the primary outcome's reliable improvement to the assumed reliability (s₁ = {source}):</p>",
            table(["r", "Improved: treatment", "Improved: control", "Fisher's exact p"], sens,
                  caption=f"Reliable improvement in {primary.label} for r = 0.7, 0.8, 0.9"),
        ]  # fmt: skip
    return out


def _two_by_two(counts: an.ReliableCounts) -> list[str]:
    test = counts.test
    if test is None:
        return ["–", "–", "–"]
    if math.isnan(test.chi2):
        return ["undefined (no one improved in either arm)" if test.table[0][0] == 0 else "undefined", "undefined",
                p_text(test.fisher_p)]  # fmt: skip
    return [f"χ²(1) = {test.chi2:.2f}, p {p_text(test.p_chi2)}", f"χ²(1) = {test.chi2_yates:.2f}, p {p_text(test.p_yates)}",
            p_text(test.fisher_p)]  # fmt: skip


# -- the seed's errata ----------------------------------------------------------------------------
def errata() -> list[str]:
    """Every test statistic the seed printed, recomputed from its own numbers."""
    seed = two_by_two(seed_paper.RELIABLY_IMPROVED["treatment"], seed_paper.N_TREATMENT,
                      seed_paper.RELIABLY_IMPROVED["control"], seed_paper.N_CONTROL)  # fmt: skip
    rows = [[
        "Reliable improvement, catastrophizing: 15/26 vs 5/28", f"χ²(1) = {seed_paper.PRINTED_CHI2[0]}, p = {seed_paper.PRINTED_CHI2[1]}",
        f"χ²(1) = {seed.chi2:.2f} (p {p_text(seed.p_chi2)}) uncorrected; {seed.chi2_yates:.2f} (p {p_text(seed.p_yates)}) "
        f"with Yates; Fisher's exact p {p_text(seed.fisher_p)}", "8.6 matches neither χ²",
    ]]  # fmt: skip
    for printed in seed_paper.PRINTED_F:
        p = float(sps.f.sf(printed.f, *printed.df))
        digits = len(printed.printed_p.split(".")[1])  # compared at the precision it was printed with
        agrees = round(p, digits) == float(printed.printed_p)
        rows.append([printed.what, f"F({printed.df[0]},{printed.df[1]}) = {printed.f}, p = {printed.printed_p}",
                     f"p = {p:.4f}", "agrees (rounded)" if agrees else "erratum: the printed p is too small"])  # fmt: skip
    cat = seed_paper.TABLE_III[("csq", "catastrophizing")]
    s_diff = math.sqrt(2) * 7.3 * math.sqrt(1 - 0.8)
    return [
        "<h2>7. The seed paper's errata, recomputed</h2>",
        "<p>Each test statistic the seed prints, recomputed from its own figures (scipy.stats). F(1,48) fits the 50 "
        "people with post data.</p>",
        table(["What", "Printed", "Recomputed", "Verdict"], rows, caption="Seed errata"),
        f"<p>Note on the reliable-change counts: with s₁ = 7.3 and r = 0.8, a reliable improvement in catastrophizing "
        f"needs a drop of more than {1.96 * s_diff:.1f} points, while the treated arm's mean drop was "
        f"{cat.treatment_pre[0] - cat.treatment_post[0]:.1f}; the printed 58 % (15/26) cannot be checked without the "
        "individual data and is reproduced above as printed.</p>",
    ]
