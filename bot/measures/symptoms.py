"""Symptom checks during treatment (PHQ-9, or the site's choice, at the start of modules 4 and 8).

The therapist sees every check's score; a rise of at least ``threshold`` points since the baseline
(or since the previous check) is flagged. Values in, a ``SymptomCheck`` out; the engine wiring
decides when to give the questionnaire and sends ``staff_text`` to the staff chat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.measures.scoring import Score


@dataclass(frozen=True)
class SymptomCheck:
    code: str
    instrument: str
    module_id: str
    current: float | None
    band: str | None
    baseline: float | None
    rise: float | None  # the larger rise: since baseline or since the previous check
    flagged: bool


def symptom_check(
    code: str, module_id: str, current: Score, earlier: Sequence[float | None], threshold: float
) -> SymptomCheck:
    """``earlier``: this instrument's earlier totals in time order, baseline first."""
    if threshold <= 0:
        raise ValueError("the symptom rise threshold must be above 0")
    known = [v for v in earlier if v is not None]
    baseline = earlier[0] if earlier else None
    rises = [
        current.total - v
        for v in (baseline, known[-1] if known else None)
        if v is not None and current.total is not None
    ]
    rise = max(rises) if rises else None
    return SymptomCheck(
        code=code, instrument=current.instrument, module_id=module_id, current=current.total, band=current.band,
        baseline=baseline, rise=rise, flagged=rise is not None and rise >= threshold,
    )  # fmt: skip


def staff_text(check: SymptomCheck, msg: Callable[..., str]) -> str:
    """The staff chat's line for one check: ``msg(key, **params)`` renders the message catalogue."""

    def number(value: float | None) -> str:
        return "–" if value is None else f"{value:g}"

    text = msg(
        "measures.symptom_check_staff", code=check.code, instrument=check.instrument, module=check.module_id,
        score=number(check.current), band=check.band or "–", baseline=number(check.baseline),
    )  # fmt: skip
    if check.flagged:
        text += "\n" + msg("measures.symptom_rise_staff", code=check.code, rise=number(check.rise))
    return text
