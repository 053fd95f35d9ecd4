"""Who may take part: the site's criteria and screening cut-offs applied to one application.

Pure: a mapping of answers (question id -> value; a screen's instrument id -> {item id: score}) and the
application date in, an ``Eligibility`` out. Every reason carries the content's plain words, so the
engine can tell a not-eligible applicant why, kindly, and where to seek help.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from bot.content.schema import Instrument, LocalText
from bot.content.trial_schema import Criterion, Screen, TrialSpec

ReasonKind = Literal["criterion", "screen", "incomplete"]


@dataclass(frozen=True)
class Reason:
    id: str  # the criterion or screen id from trial.yaml
    kind: ReasonKind
    message: LocalText  # the content's words; render with Programme.text(message, language)
    risk: bool = False  # an answer that must start the safety protocol


@dataclass(frozen=True)
class ScreenScore:
    id: str
    total: int
    record_only: bool


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[Reason, ...]
    scores: tuple[ScreenScore, ...] = ()

    @property
    def risk(self) -> bool:
        return any(r.risk for r in self.reasons)

    def to_json(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "reasons": [{"id": r.id, "kind": r.kind, "risk": r.risk} for r in self.reasons],
            "scores": {s.id: s.total for s in self.scores},
        }


def active_screens(spec: TrialSpec, instruments: Mapping[str, Instrument]) -> tuple[Screen, ...]:
    """Screens to ask: those whose instrument exists with its wording (licensed ones only when supplied)."""
    return tuple(
        s
        for s in spec.screens
        if s.instrument in instruments and all(item.text for item in instruments[s.instrument].items)
    )


def months_between(start: date, end: date) -> tuple[int, int]:
    """Whole calendar months from ``start`` to ``end`` and the days left over (a month-end start clamps)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    anchor = _add_months(start, months)
    return months, (end - anchor).days


def _add_months(day: date, months: int) -> date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def assess(
    spec: TrialSpec,
    answers: Mapping[str, Any],
    applied_on: date,
    screens: tuple[Screen, ...] | None = None,
) -> Eligibility:
    """Apply every criterion and screen; collect every reason (not just the first).

    ``screens`` are the screens that were asked (``active_screens``); by default those that do not
    wait for a site's licensed wording.
    """
    reasons: list[Reason] = []
    for criterion in spec.criteria:
        if not _applies(criterion, answers):
            continue
        verdict = _meets(criterion, answers.get(criterion.question), applied_on)
        if verdict is None:
            reasons.append(Reason(criterion.id, "incomplete", criterion.not_eligible))
        elif not verdict:
            reasons.append(Reason(criterion.id, "criterion", criterion.not_eligible))
    scores: list[ScreenScore] = []
    asked = tuple(s for s in spec.screens if not s.when_supplied) if screens is None else screens
    for screen in asked:
        items = answers.get(screen.instrument)
        if not isinstance(items, Mapping):
            reasons.append(Reason(screen.id, "incomplete", screen.not_eligible or spec.not_eligible_intro))
            continue
        total = sum(int(v) for v in items.values())
        scores.append(ScreenScore(screen.id, total, screen.record_only))
        risk = any(int(items.get(i, 0)) > limit for i, limit in screen.risk_items_above.items())
        excluded = (screen.exclude_total_at_least is not None and total >= screen.exclude_total_at_least) or any(
            int(items.get(i, 0)) > limit for i, limit in screen.exclude_items_above.items()
        )
        if excluded or risk:
            reasons.append(Reason(screen.id, "screen", screen.not_eligible, risk=risk))
    return Eligibility(eligible=not reasons, reasons=tuple(reasons), scores=tuple(scores))


def _applies(criterion: Criterion, answers: Mapping[str, Any]) -> bool:
    return all(answers.get(q) == v for q, v in criterion.when.items())


def _meets(criterion: Criterion, value: Any, applied_on: date) -> bool | None:
    """True/False, or None when the answer is missing or of the wrong kind."""
    if value is None:
        return None
    if criterion.rule == "between":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        assert criterion.min is not None and criterion.max is not None
        return criterion.min <= value <= criterion.max
    if criterion.rule == "is":
        return bool(value == criterion.value)
    if criterion.rule == "one_of":
        return value in criterion.values
    start = value if isinstance(value, date) else _parse_date(value)
    if start is None:
        return None
    assert criterion.months is not None
    months, days = months_between(start, applied_on)
    return months > criterion.months or (months == criterion.months and days > 0)


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def not_eligible_text(spec: TrialSpec, result: Eligibility, render: Callable[[LocalText], str]) -> str:
    """The kind message for a not-eligible applicant: why, in plain words, what happens to their answers,
    and where to seek help. ``render`` picks the participant's language (``Programme.text``)."""
    parts = [render(spec.not_eligible_intro)]
    seen: set[str] = set()
    for reason in result.reasons:
        words = render(reason.message)
        if words and words not in seen:
            seen.add(words)
            parts.append("• " + words)
    parts += [render(spec.retention.not_eligible), render(spec.seek_help)]
    return "\n\n".join(p for p in parts if p)
